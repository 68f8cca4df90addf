"""Property: the LTI tool's JSON and public endpoints answer any request without a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager import api
from packager.lti.config import ToolSettings
from packager.lti.flask_app import create_app
from packager.lti.keys import generate_key
from tests.conftest import ROOTS
from tests.fuzz.counts import CASES, EXAMPLES

SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator:
    """The tool as a Flask test client over the basic course's bundle (no outbox thread)."""
    root = tmp_path_factory.mktemp("lti-fuzz")
    api.build(ROOTS / "basic", ["lti"], root / "bundles")
    generate_key(root / "keys")
    (root / "platforms.json").write_text("{}")
    app = create_app(ToolSettings(bundles=root / "bundles", platforms=root / "platforms.json",
                                  keys=root / "keys", db=f"sqlite:///{root}/tool.sqlite",
                                  run_outbox=False))
    app.testing = False  # errors must go through the app's handlers, as in production
    yield app.test_client()
    app.extensions["packager_lti"].close()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
              st.floats(allow_nan=False), st.text(max_size=40)),
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=10), inner, max_size=5)),
    max_leaves=20)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({}, optional={
        "question": st.one_of(st.sampled_from(["t-single", "t-multiple", "t-tf", "t-text",
                                               "kc-1", "ev-1", "nope"]), json_values),
        "response": json_values, "responses": json_values, "state": json_values,
        "location": json_values, "attempt": json_values,
    }).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)
# Header values cannot hold control characters (the test client refuses them, as would HTTP).
header_text = st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), max_size=40)
tokens = st.one_of(st.just(""), header_text, header_text.map("Bearer ".__add__), st.sampled_from(
    ["Bearer ", "Bearer x", "Bearer " + "a" * 500, "Basic abc", "Bearer \u00e9"]))


def assert_clean(resp) -> None:
    assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
    assert b"Traceback" not in resp.get_data()


@SETTINGS
@given(path=st.sampled_from(["/api/grade", "/api/state"]), body=bodies, auth=tokens,
       ctype=st.sampled_from(["application/json", "text/plain", ""]))
def test_json_api_without_a_launch_is_refused_cleanly(client, path, body, auth, ctype):
    CASES["lti: JSON API, random token and body"] += 1
    headers = {"Authorization": auth} if auth else {}
    if ctype:
        headers["Content-Type"] = ctype
    resp = client.post(path, data=body, headers=headers)
    assert_clean(resp)
    assert 400 <= resp.status_code < 500
    assert "error" in (resp.get_json(silent=True) or {})


segments = st.one_of(st.sampled_from(["basic", "1.0.0", "..", ".", "%2e%2e", "runtime",
                                      "core.js", "index.html", "answerkey.json",
                                      "course.json", "assets", "square.png", "", "/",
                                      "..%2f..%2fetc%2fpasswd", "%00"]),
                     st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12))


@SETTINGS
@given(parts=st.lists(segments, min_size=1, max_size=6))
def test_course_files_never_leak_or_crash(client, parts):
    CASES["lti: course file paths"] += 1
    resp = client.get("/c/" + "/".join(parts))
    assert_clean(resp)
    body = resp.get_data()
    assert b"root:x:" not in body  # /etc/passwd
    if resp.status_code == 200:
        name = parts[-1]
        assert not name.endswith(".html")  # course documents need a launch
        assert "answerkey" not in "/".join(parts)  # the key never leaves the server


@SETTINGS
@given(method=st.sampled_from(["get", "post"]),
       path=st.sampled_from(["/lti/login", "/lti/launch", "/lti/deeplink"]),
       fields=st.dictionaries(st.sampled_from(["iss", "login_hint", "target_link_uri",
                                               "lti_message_hint", "client_id", "id_token",
                                               "state", "token", "course", "module",
                                               "lti_deployment_id"]),
                              st.text(max_size=60), max_size=6))
def test_launch_endpoints_refuse_garbage_cleanly(client, method, path, fields):
    CASES["lti: login/launch/deeplink with random fields"] += 1
    if method == "get":
        resp = client.get(path, query_string=fields)
    else:
        resp = client.post(path, data=fields)
    assert_clean(resp)


def test_public_json_documents(client):
    for path in ("/", "/.well-known/jwks.json", "/lti/config.json", "/lti/canvas.json"):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.get_json() is not None

