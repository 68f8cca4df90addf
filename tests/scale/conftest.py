"""Fixtures for the scale tests: the course the simulated learners take, and the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from packager.lti.bundles import open_bundle
from packager.lti.grading import Course
from packager.lti.store import open_store
from packager.model import Question
from packager.targets.lti import COURSE_DOC
from tests.lti.driver import questions
from tests.scale.cluster import Cluster


def course_of(cluster: Cluster) -> tuple[Course, dict[str, Question]]:
    """The course as the server grades it, and its questions with their right answers."""
    bundle = open_bundle(next((cluster.root / "bundles").glob("*-lti.zip")))
    return bundle.course(COURSE_DOC), questions(cluster.course)


def store_of(cluster: Cluster) -> sessionmaker[Session]:
    return open_store(cluster.postgres.url)


def report(title: str, lines: list[Any]) -> None:
    """Printed with -s, and in the failure output otherwise."""
    print(f"\n== {title}")
    for line in lines:
        print(line)
