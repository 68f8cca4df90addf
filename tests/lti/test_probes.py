"""Every forged, replayed or mismatched launch is refused with a 4xx page and no course."""

from __future__ import annotations

import pytest
import requests

from tests.lti.platform import Spec

PROBES = [
    "wrong-signature", "alg-none", "hs256-public-key", "expired", "wrong-aud", "wrong-iss",
    "unknown-deployment", "missing-state", "wrong-state", "nonce-mismatch",
    "unknown-message-type", "tampered-message-type",
]


def launch_status(page, url: str):
    """Open a platform page; returns the tool's /lti/launch response."""
    with page.expect_response(lambda r: r.url.endswith("/lti/launch")) as info:
        page.goto(url)
    return info.value


def assert_refused(page, response) -> None:
    assert 400 <= response.status < 500
    body = response.text()
    assert 'class="lti-error"' in body and "Launch refused" in body
    assert "course-data" not in body and "Traceback" not in body


@pytest.mark.parametrize("probe", PROBES)
def test_probe_refused(lti_browser, shared_setup, probe):
    platform, _ = shared_setup
    errors = len(platform.errors)
    ctx = lti_browser.new_context()
    page = ctx.new_page()
    spec = Spec(user="mallory", client_id="tool-1", custom={"course": "basic"}, probe=probe)
    assert_refused(page, launch_status(page, platform.new_launch(spec)))
    assert platform.errors[errors:] == []  # the tool's login was right; only the token was bad
    ctx.close()


def test_replayed_id_token_refused_same_and_fresh_browser(lti_browser, shared_setup):
    platform, _ = shared_setup
    ctx = lti_browser.new_context()
    page = ctx.new_page()
    url = platform.new_launch(Spec(user="alice", client_id="tool-1", custom={"course": "basic"}))
    assert launch_status(page, url).status == 200
    page.frame_locator("#tool").locator("html[data-packager-ready]").wait_for()
    sid = url.rsplit("/", 1)[1]
    replay = f"{platform.browser_base}/replay/{sid}"
    # Same browser: the state cookie and session are still there; only the nonce stops it.
    assert_refused(page, launch_status(page, replay))
    fresh = lti_browser.new_context()
    other = fresh.new_page()
    assert_refused(other, launch_status(other, replay))
    ctx.close()
    fresh.close()


def test_unknown_issuer_at_login_is_a_clean_400(shared_setup):
    platform, tool = shared_setup
    for method in ("get", "post"):
        resp = getattr(requests, method)(f"{tool.base}/lti/login", timeout=10, **{
            "params" if method == "get" else "data":
                {"iss": "https://nobody.test", "login_hint": "x",
                 "target_link_uri": f"{tool.base}/lti/launch"}})
        assert resp.status_code == 400
        assert "not registered" in resp.text and "Traceback" not in resp.text
    # A launch POST with garbage is refused the same way.
    resp = requests.post(f"{tool.base}/lti/launch", data={"id_token": "x.y.z", "state": "s"},
                         timeout=10)
    assert 400 <= resp.status_code < 500 and "Traceback" not in resp.text


def test_login_over_get_and_post_redirects_to_platform(platform, start_tool):
    tool = start_tool(platform, cookie_check=False)
    params = {"iss": platform.issuer, "login_hint": "alice", "lti_message_hint": "m",
              "target_link_uri": f"{tool.base}/lti/launch", "client_id": "tool-1"}
    for resp in (requests.get(f"{tool.base}/lti/login", params=params, allow_redirects=False),
                 requests.post(f"{tool.base}/lti/login", data=params, allow_redirects=False)):
        assert resp.status_code == 302
        location = resp.headers["Location"]
        assert location.startswith(f"{platform.browser_base}/auth?")
        assert f"redirect_uri={requests.utils.quote(tool.base, safe='')}" in location
        assert "nonce=" in location and "state=" in location
