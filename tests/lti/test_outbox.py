"""Scores survive an LMS outage and a tool restart (durable outbox, retries with backoff)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import requests

from packager.lti.ags import Outbox
from tests.conftest import ROOT
from tests.lti.conftest import write_registrations
from tests.lti.driver import course_frame, questions, wait_for, walk
from tests.lti.platform import Spec


def completed(platform, user: str) -> list[dict]:
    return [s for s in platform.scores
            if s["userId"] == user and s["activityProgress"] == "Completed"]


def test_scores_delivered_after_platform_outage(lti_browser, platform, start_tool):
    tool = start_tool(platform)
    platform.fail_scores = 6  # the AGS endpoint answers 503 six times
    ctx = lti_browser.new_context()
    page = ctx.new_page()
    page.goto(platform.new_launch(Spec(user="olive", client_id="tool-1",
                                       custom={"course": "basic"})))
    walk(course_frame(page), questions(), correct=True)
    wait_for(lambda: completed(platform, "olive"))
    outbox: Outbox = tool.tool.outbox
    wait_for(lambda: outbox.counts()["pending"] == 0)
    stats, counts = outbox.stats, outbox.counts()
    print(f"\noutage: sent {stats.sent}, failed {stats.failed}, retried {stats.retried}, "
          f"delivered {stats.delivered}; rows {counts}; "
          f"platform saw {platform.score_attempts} score posts")
    # Each failed post is scheduled again, unless a newer score superseded its row meanwhile.
    assert stats.failed == 6
    assert stats.failed - counts["superseded"] <= stats.retried <= stats.failed
    assert stats.sent == stats.delivered + stats.failed == platform.score_attempts
    assert len([s for s in platform.scores if s["userId"] == "olive"]) == stats.delivered
    # Sent in order of creation, each once: the last one the platform has is the final score.
    stamps = [s["timestamp"] for s in platform.scores if s["userId"] == "olive"]
    assert len(stamps) == len(set(stamps))
    assert platform.scores[-1]["scoreGiven"] == 100
    ctx.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen) -> None:
    def up() -> bool:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False
    wait_for(up, timeout=30, step=0.2)


def test_scores_survive_a_tool_restart(lti_browser, platform, lti_files, tmp_path):
    """gunicorn (production path) takes answers while the LMS is down, is stopped; then
    `packager lti serve` (the CLI) starts on the same database and delivers the scores."""
    port = free_port()
    base = f"http://localhost:{port}"
    registrations = tmp_path / "platforms.json"
    write_registrations(registrations, (platform, platform.add_client(base)))
    db = f"sqlite:///{tmp_path}/tool.sqlite"
    env = dict(os.environ, PACKAGER_LTI_BUNDLES=str(lti_files["bundles"]),
               PACKAGER_LTI_PLATFORMS=str(registrations), PACKAGER_LTI_KEYS=str(lti_files["keys"]),
               PACKAGER_LTI_DB=db, PACKAGER_LTI_BACKOFF="0.2", PACKAGER_LTI_BACKOFF_MAX="1",
               PACKAGER_LTI_OUTBOX_INTERVAL="0.2")
    first = subprocess.Popen([sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}",
                              "-w", "1", "--threads", "4", "--graceful-timeout", "5",
                              "packager.lti.flask_app:create_app()"],
                             env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    second = None
    try:
        wait_up(f"{base}/lti/config.json", first)
        platform.fail_scores = 10 ** 6  # the LMS is down
        ctx = lti_browser.new_context()
        page = ctx.new_page()
        page.goto(platform.new_launch(Spec(user="rita", client_id="tool-1",
                                           custom={"course": "basic"})))
        walk(course_frame(page), questions(), correct=True)
        ctx.close()
        try:
            wait_for(lambda: platform.score_attempts >= 4)
        except AssertionError:
            first.terminate()
            raise AssertionError(f"{platform.errors} {first.stderr.read()[-3000:]}") from None
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        failed_before_restart = platform.score_attempts
        assert not completed(platform, "rita")
        platform.fail_scores = 0  # the LMS is back
        second = subprocess.Popen(
            [sys.executable, "-m", "packager", "lti", "serve", "--port", str(port),
             "--bundles", str(lti_files["bundles"]), "--config", str(registrations),
             "--keys", str(lti_files["keys"]), "--db", db],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_up(f"{base}/lti/config.json", second)
        final = wait_for(lambda: completed(platform, "rita"), timeout=30)
        assert final[-1]["scoreGiven"] == 100 and final[-1]["gradingProgress"] == "FullyGraded"
        delivered = [s for s in platform.scores if s["userId"] == "rita"]
        stamps = [s["timestamp"] for s in delivered]
        assert len(stamps) == len(set(stamps))  # nothing sent twice
        print(f"\nrestart: {failed_before_restart} failed posts before the restart, "
              f"{len(delivered)} scores delivered after it, "
              f"{platform.score_attempts} posts in all")
        status = json.loads(requests.get(f"{base}/").text)
        assert status["courses"][0]["id"] == "basic"
    finally:
        for proc in (first, second):
            if proc and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
    out = second.stdout.read() if second and second.stdout else ""
    assert f"127.0.0.1:{port}/lti/config.json" in out and "/lti/canvas.json" in out


def test_line_item_created_when_the_launch_has_none(lti_browser, platform, start_tool):
    """One column per placed link: the first learner's score creates it, the next reuses it."""
    tool = start_tool(platform)
    for user in ("nina", "omar"):
        ctx = lti_browser.new_context()
        page = ctx.new_page()
        page.goto(platform.new_launch(Spec(user=user, client_id="tool-1", lineitem=False,
                                           resource_link="no-column",
                                           custom={"course": "basic", "module": "02-test"})))
        walk(course_frame(page), questions(), correct=True)
        final = wait_for(lambda user=user: completed(platform, user))
        assert final[-1]["scoreGiven"] == 100
        ctx.close()
    assert [k for k in platform.lineitems if k.startswith("created-")] == ["created-1"]
    assert {s["lineitem"] for s in platform.scores} == {"created-1"}
    item = platform.lineitems["created-1"]
    assert item["scoreMaximum"] == 100 and item["resourceLinkId"] == "no-column"
    assert item["label"] == "Basic Test Course: Test"
    wait_for(lambda: tool.tool.outbox.counts()["pending"] == 0)
    # A new tool database (e.g. after a reinstall) finds the column on the platform.
    with tool.tool.sessions() as db:
        from sqlalchemy import update

        from packager.lti.store import Progress
        db.execute(update(Progress).values(lineitem=None))
        db.commit()
    ctx = lti_browser.new_context()
    page = ctx.new_page()
    page.goto(platform.new_launch(Spec(user="pia", client_id="tool-1", lineitem=False,
                                       resource_link="no-column",
                                       custom={"course": "basic", "module": "02-test"})))
    walk(course_frame(page), questions(), correct=True)
    wait_for(lambda: completed(platform, "pia"))
    assert [k for k in platform.lineitems if k.startswith("created-")] == ["created-1"]
    ctx.close()
