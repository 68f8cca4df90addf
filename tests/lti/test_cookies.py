"""Cookies in a cross-site iframe, third-party cookies blocked, and TLS behind a proxy."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.lti.driver import answer_page, course_frame, questions, walk
from tests.lti.platform import Spec


@pytest.fixture(scope="module")
def strict_browser(playwright):
    """Chromium that blocks third-party cookies (partitioned ones are still allowed)."""
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--host-resolver-rules=MAP platform.test 127.0.0.1",
        "--test-third-party-cookie-phaseout"])
    yield instance
    instance.close()


def test_iframe_launch_with_third_party_cookies_blocked(strict_browser, platform, start_tool):
    start_tool(platform)
    ctx = strict_browser.new_context()
    page = ctx.new_page()
    page.goto(platform.new_launch(Spec(user="chips", client_id="tool-1",
                                       custom={"course": "basic", "module": "02-test"})))
    frame = course_frame(page)  # still in the iframe: the cookies are partitioned
    assert page.url.startswith(platform.browser_base)
    walk(frame, questions(), correct=True)
    assert frame.locator(".notice").text_content().startswith("You have completed")
    ctx.close()


def test_proxy_fix_uses_forwarded_scheme_and_host(platform, start_tool):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "tool.example.org",
                 "X-Forwarded-For": "203.0.113.9"}
    trusting = start_tool(platform, proxy_fix=1).app.test_client()
    conf = trusting.get("/lti/config.json", headers=forwarded).get_json()
    assert conf["initiate_login_uri"] == "https://tool.example.org/lti/login"
    login = trusting.get("/lti/login", headers=forwarded, query_string={
        "iss": platform.issuer, "login_hint": "u", "client_id": "tool-1",
        "lti1p3_new_window": "1", "target_link_uri": "https://tool.example.org/lti/launch"})
    assert login.status_code == 302
    cookies = login.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "SameSite=None" in c and "Partitioned" in c
                           for c in cookies)
    # Without ProxyFix the headers are ignored (a client could forge them).
    plain = start_tool(platform).app.test_client()
    conf = plain.get("/lti/config.json", headers=forwarded).get_json()
    assert conf["initiate_login_uri"].startswith("http://localhost")


def test_blocked_cookies_fall_back_to_a_new_window(playwright, platform, start_tool, tmp_path):
    """When the browser refuses the tool's cookies inside the LMS page (a per-site block,
    partitioned or not), pylti1p3's check offers a new window, where the course launches."""
    tool = start_tool(platform)
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    # Chromium's own setting: block the tool's cookies when it is embedded in the platform.
    blocked = f"{tool.base},{platform.browser_base}"
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"profile": {"content_settings": {"exceptions": {"cookies": {blocked: {"setting": 2}}}}}}))
    ctx = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP platform.test 127.0.0.1"])
    try:
        page = ctx.new_page()
        page.goto(platform.new_launch(Spec(user="win", client_id="tool-1",
                                           custom={"course": "basic"})))
        frame = page.frame_locator("#tool")
        link = frame.get_by_text("Open the course in a new window")
        with page.expect_popup() as info:
            link.click()
        popup = info.value
        popup.locator("html[data-packager-ready]").wait_for(timeout=20000)
        assert popup.url == f"{tool.base}/lti/launch"
        assert frame.locator("#course-data").count() == 0  # never ran in the blocked frame
        answer_page(popup, questions(), correct=True)  # and the API works from the window
    finally:
        ctx.close()
