"""The ethics course as a cmi5 AU against Ralph's LRS: pass, fail, and a resumed registration."""

from __future__ import annotations

from tests.cmi5.flows import fail_flow, pass_flow, resume_flow
from tests.conftest import ETHICS


def test_ethics_pass_is_conformant(lms, au_url, answers, context, page_errors):
    pass_flow(ETHICS, lms, au_url, answers, context, page_errors)


def test_ethics_fail_is_conformant(lms, au_url, answers, context, page_errors):
    fail_flow(ETHICS, lms, au_url, answers, context, page_errors)


def test_ethics_resume_continues_the_registration(lms, au_url, answers, context, page_errors):
    resume_flow(ETHICS, lms, au_url, answers, context, page_errors)
