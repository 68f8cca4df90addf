"""Deep linking round trip: the instructor picks a module, the platform gets a signed item."""

from __future__ import annotations

import jwt
import requests

from tests.lti.driver import course_frame, wait_for
from tests.lti.platform import DL, LTI, Spec


def test_deep_linking_round_trip(lti_browser, platform, start_tool):
    tool = start_tool(platform)
    ctx = lti_browser.new_context()
    page = ctx.new_page()
    page.goto(platform.new_launch(Spec(user="teacher", client_id="tool-1",
                                       message_type="LtiDeepLinkingRequest")))
    picker = page.frame_locator("#tool")
    picker.locator("section.course[data-course='basic']").wait_for()
    form = picker.locator("form").first
    token = form.locator("input[name=token]").get_attribute("value")
    picker.get_by_role("button", name="Module: Test").click()
    picker.get_by_text("Content added").wait_for()
    assert platform.errors == []
    claims = platform.deep_links[0]
    assert claims["iss"] == "tool-1" and claims["aud"] == [platform.issuer]
    [item] = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == f"{tool.base}/lti/launch"
    assert item["custom"] == {"course": "basic", "module": "02-test"}
    assert item["lineItem"]["scoreMaximum"] == 100
    assert item["title"] == "Basic Test Course: Test"
    # Signed with the tool's active key, published in its JWKS.
    kids = {k["kid"] for k in requests.get(f"{tool.base}/.well-known/jwks.json").json()["keys"]}
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert tool.tool.signing_key().kid in kids
    # The selection token is single use.
    again = requests.post(f"{tool.base}/lti/deeplink",
                          data={"token": token, "course": "basic", "module": ""})
    assert again.status_code == 403
    # The placed link launches the module it names.
    page.goto(platform.new_launch(Spec(user="learner", client_id="tool-1",
                                       custom=item["custom"], resource_link="placed")))
    frame = course_frame(page)
    assert frame.locator("section.page").count() == 2
    ctx.close()


def test_deep_link_jwt_is_verifiable_with_tool_jwks(platform, start_tool):
    tool = start_tool(platform)
    jwks = requests.get(f"{tool.base}/.well-known/jwks.json").json()
    key = tool.tool.signing_key()
    token = jwt.encode({"x": 1}, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
    jwk = next(k for k in jwks["keys"] if k["kid"] == key.kid)
    public = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"x": 1}
    wait_for(lambda: True)
