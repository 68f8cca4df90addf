"""LTI Dynamic Registration round trip, the published configuration, and the tool's keys."""

from __future__ import annotations

import json
import stat

import requests

from packager.lti.keys import generate_key, jwks
from packager.lti.registration import AGS_SCOPES, TOOL_CONFIG_CLAIM
from packager.lti.server import keys as make_keys
from packager.lti.store import DynamicRegistration
from tests.lti.driver import course_frame
from tests.lti.platform import Platform, Spec


def test_dynamic_registration_round_trip(lti_browser, start_tool):
    platform = Platform(kid="dyn-platform").start()
    platform.issuer = platform.base  # an issuer on the configuration's own host
    tool = start_tool()  # no platform registered yet
    ctx = lti_browser.new_context()
    page = ctx.new_page()
    old_token = platform.registration_token
    page.goto(f"{platform.browser_base}/register-page?tool={tool.base}/lti/register")
    page.locator("#status").filter(has_text="closed").wait_for()
    assert platform.errors == []
    [sent] = platform.registrations
    assert sent["initiate_login_uri"] == f"{tool.base}/lti/login"
    assert sent["redirect_uris"] == [f"{tool.base}/lti/launch"]
    assert sent["jwks_uri"] == f"{tool.base}/.well-known/jwks.json"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert set(AGS_SCOPES) <= set(sent["scope"].split())
    types = {m["type"] for m in sent[TOOL_CONFIG_CLAIM]["messages"]}
    assert types == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    with tool.tool.sessions() as db:
        [reg] = db.query(DynamicRegistration).all()
        assert (reg.issuer, reg.client_id, reg.deployment_ids) == (
            platform.base, "dyn-1", ["dyn-dep-1"])
    # The one-time token cannot register twice.
    again = requests.get(f"{tool.base}/lti/register", params={
        "openid_configuration": f"{platform.base}/.well-known/openid-configuration",
        "registration_token": old_token})
    assert again.status_code == 400 and "Registration failed" in again.text
    # The newly registered platform launches the course.
    page.goto(platform.new_launch(Spec(user="dyn-user", client_id="dyn-1",
                                       custom={"course": "basic"})))
    course_frame(page)
    ctx.close()
    platform.stop()


def test_published_configuration(platform, start_tool):
    tool = start_tool(platform)
    conf = requests.get(f"{tool.base}/lti/config.json").json()
    assert conf["initiate_login_uri"] == f"{tool.base}/lti/login"
    assert conf["redirect_uris"] == [f"{tool.base}/lti/launch"]
    assert conf["jwks_uri"] == f"{tool.base}/.well-known/jwks.json"
    assert conf["token_endpoint_auth_method"] == "private_key_jwt"
    lti = conf[TOOL_CONFIG_CLAIM]
    assert lti["domain"] == tool.base.removeprefix("http://")
    assert lti["target_link_uri"] == f"{tool.base}/lti/launch"
    assert "LtiDeepLinkingRequest" in {m["type"] for m in lti["messages"]}
    canvas = requests.get(f"{tool.base}/lti/canvas.json").json()
    assert canvas["oidc_initiation_url"] == f"{tool.base}/lti/login"
    assert canvas["public_jwk_url"] == f"{tool.base}/.well-known/jwks.json"
    placements = canvas["extensions"][0]["settings"]["placements"]
    assert {p["message_type"] for p in placements} == {"LtiDeepLinkingRequest"}


def test_platform_file_is_reread_when_it_changes(platform, start_tool):
    tool = start_tool(platform)
    assert tool.tool.platforms.knows(platform.issuer)
    data = json.loads(tool.registrations.read_text())
    data["https://other.test"] = data[platform.issuer]
    tool.registrations.write_text(json.dumps(data))
    import os
    os.utime(tool.registrations, (1e9, 2e9))  # a new mtime, even within the same second
    assert tool.tool.platforms.knows("https://other.test")


def test_keys_mode_600_and_rotation_keeps_old_kid(tmp_path):
    first = generate_key(tmp_path / "keys")
    assert stat.S_IMODE((tmp_path / "keys" / f"{first.kid}.private.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert generate_key(tmp_path / "keys").kid == first.kid  # idempotent without --rotate
    second, published = make_keys(tmp_path / "keys", rotate=True)
    assert second.kid != first.kid and set(published) == {first.kid, second.kid}
    _, published = make_keys(tmp_path / "keys", retire=first.kid)
    assert published == [second.kid]
    assert all(k["alg"] == "RS256" and k["use"] == "sig" and "d" not in k
               for k in jwks(tmp_path / "keys")["keys"])


def test_keys_folder_is_ignored_by_git():
    from tests.conftest import ROOT
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "/keys/" in ignored and "*.pem" in ignored
