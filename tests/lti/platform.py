"""A test LTI 1.3 platform on 127.0.0.1, written with PyJWT + cryptography.

It signs real RS256 id_tokens with its own key (published as a JWKS), runs the OIDC auth
endpoint and checks what a tool sends it (client_id, exact redirect_uri, state, nonce),
runs an OAuth2 token endpoint (client_credentials with a JWT assertion verified against the
tool's JWKS), records AGS scores (and fails on demand), checks deep-linking responses and
offers LTI Dynamic Registration. Probes tamper with the id_token to test the tool's checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass
class Client:
    """A tool registered on this platform."""

    client_id: str
    deployment_id: str
    redirect_uris: list[str]
    login_url: str
    jwks_url: str


@dataclass
class Spec:
    """One launch the test asks for: who, what message, which link, which probe."""

    user: str
    client_id: str
    message_type: str = "LtiResourceLinkRequest"
    custom: dict[str, str] = field(default_factory=dict)
    resource_link: str = "link-1"
    lineitem: bool = True
    probe: str | None = None


@dataclass
class Platform:
    """Runs in a thread; ``browser_base`` is what pages use, ``base`` what servers call."""

    issuer: str = "https://platform.test"
    host_alias: str = "platform.test"
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "platform-key-1"
    clients: dict[str, Client] = field(default_factory=dict)
    specs: dict[str, Spec] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    lineitems: dict[str, dict[str, Any]] = field(default_factory=dict)
    deep_links: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    posted: dict[str, dict[str, str]] = field(default_factory=dict)  # spec -> form to tool
    registrations: list[dict[str, Any]] = field(default_factory=list)
    fail_scores: int = 0  # answer the next N score posts with 503
    score_attempts: int = 0
    # Faults for the scale tests (tests/scale): a share of score posts fails, half of those
    # after the score was recorded (the answer is lost, so the tool must send it again), and
    # until ``hang_until`` every score post hangs past the tool's timeout and is dropped.
    fail_rate: float = 0.0
    hang_until: float = 0.0
    dedupe: bool = False  # AGS: a score repeating one on record (same timestamp) changes nothing
    duplicates: int = 0  # posts of a score already recorded (same line item and body)
    acks_lost: int = 0
    failed: int = 0
    hung: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    _score_keys: set[tuple[str, str]] = field(default_factory=set)
    _score_lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: set[str] = field(default_factory=set)
    registration_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    registration_open: bool = True
    port: int = 0

    # ---- lifecycle ----
    def start(self) -> Platform:
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def browser_base(self) -> str:
        return f"http://{self.host_alias}:{self.port}"

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return {"keys": [jwk]}

    def registration_entry(self, client: Client) -> dict[str, Any]:
        """This platform as a pylti1p3 ToolConfJsonFile entry, for the tool's file."""
        return {"client_id": client.client_id, "auth_login_url": f"{self.browser_base}/auth",
                "auth_token_url": f"{self.base}/token", "key_set_url": f"{self.base}/jwks",
                "deployment_ids": [client.deployment_id]}

    def add_client(self, tool_base: str, client_id: str = "tool-1",
                   deployment_id: str = "dep-1") -> Client:
        client = Client(client_id, deployment_id, [f"{tool_base}/lti/launch"],
                        f"{tool_base}/lti/login", f"{tool_base}/.well-known/jwks.json")
        self.clients[client_id] = client
        return client

    def new_launch(self, spec: Spec) -> str:
        """A URL of a platform page that launches the tool in an iframe."""
        sid = uuid.uuid4().hex[:12]
        self.specs[sid] = spec
        return f"{self.browser_base}/course/{sid}"

    # ---- tokens ----
    def id_token(self, spec: Spec, nonce: str) -> str:
        client = self.clients[spec.client_id]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": client.client_id, "sub": spec.user,
            "iat": now, "exp": now + 300, "nonce": nonce, "name": f"User {spec.user}",
            LTI + "message_type": spec.message_type, LTI + "version": "1.3.0",
            LTI + "deployment_id": client.deployment_id,
            LTI + "target_link_uri": client.redirect_uris[0],
            LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            LTI + "context": {"id": "ctx-1", "title": "Test context"},
            LTI + "custom": spec.custom,
        }
        if spec.message_type == "LtiDeepLinkingRequest":
            claims[LTI + "roles"] = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.browser_base}/dl-return",
                "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets":
                ["iframe", "window"], "data": "dl-data-1"}
        else:
            claims[LTI + "resource_link"] = {"id": spec.resource_link}
            ags: dict[str, Any] = {"scope": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitems": f"{self.base}/lineitems"}
            if spec.lineitem:
                item = self.lineitems.setdefault(spec.resource_link, {
                    "id": f"{self.base}/lineitems/{spec.resource_link}", "scoreMaximum": 100})
                ags["lineitem"] = item["id"]
            claims[AGS] = ags
        return self._sign(claims, spec.probe)

    def _sign(self, claims: dict[str, Any], probe: str | None) -> str:
        headers = {"kid": self.kid}
        if probe == "expired":
            claims.update(iat=int(time.time()) - 3600, exp=int(time.time()) - 1800)
        elif probe == "wrong-aud":
            claims["aud"] = "someone-else"
        elif probe == "wrong-iss":
            claims["iss"] = "https://evil.test"
        elif probe == "unknown-deployment":
            claims[LTI + "deployment_id"] = "dep-unknown"
        elif probe == "unknown-message-type":
            claims[LTI + "message_type"] = "LtiUnknownRequest"
        if probe == "alg-none":
            head = _b64(json.dumps({"alg": "none", "typ": "JWT", **headers}).encode())
            return f"{head}.{_b64(json.dumps(claims).encode())}."
        if probe == "hs256-public-key":
            # The classic key-confusion attack: HMAC keyed with the platform's public key.
            head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", **headers}).encode())
            body = _b64(json.dumps(claims).encode())
            sig = hmac.new(public_pem(self.key), f"{head}.{body}".encode(), hashlib.sha256)
            return f"{head}.{body}.{_b64(sig.digest())}"
        key = new_key() if probe == "wrong-signature" else self.key
        # The key object, not its PEM: parsing a PEM re-validates the RSA key (~0.1 s a launch).
        token = jwt.encode(claims, key, algorithm="RS256", headers=headers)
        if probe == "tampered-message-type":
            head, body, sig = token.split(".")
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            data[LTI + "message_type"] = "LtiDeepLinkingRequest"
            token = f"{head}.{_b64(json.dumps(data).encode())}.{sig}"
        return token

    # ---- HTTP ----
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        req = Request(environ)
        try:
            resp = self.route(req)
        except Exception as exc:  # a bug in the fake platform must show in the test output
            self.errors.append(f"{req.path}: {exc!r}")
            resp = Response(f"platform error: {exc!r}", 500)
        return resp(environ, start_response)

    def route(self, req: Request) -> Response:
        path = req.path
        if path == "/jwks":
            return json_response(self.jwks())
        if path.startswith("/course/"):
            return self.course_page(path.rsplit("/", 1)[1], req.args.get("window") == "1")
        if path == "/auth":
            return self.auth(req)
        if path.startswith("/replay/"):
            return self.replay_page(path.rsplit("/", 1)[1])
        if path == "/token" and req.method == "POST":
            return self.token(req)
        if path == "/lineitems" and req.method == "POST":
            return self.create_lineitem(req)
        if path == "/lineitems" and req.method == "GET":
            return self.list_lineitems(req)
        if path.startswith("/lineitems/") and path.endswith("/scores"):
            return self.score(req, path.split("/")[2])
        if path == "/dl-return" and req.method == "POST":
            return self.dl_return(req)
        if path == "/.well-known/openid-configuration":
            return json_response(self.openid_configuration())
        if path == "/register" and req.method == "POST":
            return self.register(req)
        if path == "/register-page":
            return self.register_page(req.args["tool"])
        return Response("not found", 404)

    def course_page(self, sid: str, window: bool) -> Response:
        spec = self.specs[sid]
        client = self.clients[spec.client_id]
        fields = {"iss": self.issuer, "login_hint": spec.user, "lti_message_hint": sid,
                  "target_link_uri": client.redirect_uris[0], "client_id": client.client_id,
                  "lti_deployment_id": client.deployment_id}
        target = "_self" if window else "tool"
        inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                         for k, v in fields.items())
        body = (f'<h1>Platform course</h1><iframe name="tool" id="tool" '
                f'allow="clipboard-write" style="width:100%;height:900px"></iframe>'
                f'<form id="f" method="post" action="{client.login_url}" target="{target}">'
                f'{inputs}</form><script>document.getElementById("f").submit()</script>')
        return Response(body, mimetype="text/html")

    def replay_page(self, sid: str) -> Response:
        """Post a captured id_token + state to the tool again, in the same iframe set-up."""
        fields = self.posted[sid]
        inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                         for k, v in fields.items())
        action = self.clients[self.specs[sid].client_id].redirect_uris[0]
        body = (f'<iframe name="tool" id="tool"></iframe><form id="f" method="post" '
                f'action="{html.escape(action)}" target="tool">{inputs}</form>'
                '<script>document.getElementById("f").submit()</script>')
        return Response(body, mimetype="text/html")

    def auth(self, req: Request) -> Response:
        p = req.args
        sid = p.get("lti_message_hint", "")
        spec = self.specs.get(sid)
        client = self.clients.get(p.get("client_id", ""))
        problems = []
        if spec is None:
            problems.append("unknown lti_message_hint")
        if client is None:
            problems.append("unknown client_id")
        elif p.get("redirect_uri") not in client.redirect_uris:
            problems.append(f"redirect_uri {p.get('redirect_uri')} is not registered")
        for name, want in (("scope", "openid"), ("response_type", "id_token"),
                           ("response_mode", "form_post"), ("prompt", "none")):
            if p.get(name) != want:
                problems.append(f"{name} must be {want}")
        if not p.get("state") or not p.get("nonce"):
            problems.append("state and nonce are required")
        if spec and p.get("login_hint") != spec.user:
            problems.append("login_hint does not match")
        if problems:
            self.errors.extend(problems)
            return Response("; ".join(problems), 400)
        assert spec is not None and client is not None
        nonce = "other-nonce-" + uuid.uuid4().hex if spec.probe == "nonce-mismatch" else p["nonce"]
        fields = {"id_token": self.id_token(spec, nonce), "state": p["state"]}
        if spec.probe == "missing-state":
            del fields["state"]
        elif spec.probe == "wrong-state":
            fields["state"] = "state-" + str(uuid.uuid4())
        self.posted[sid] = fields
        return _autopost(p["redirect_uri"], fields)

    def token(self, req: Request) -> Response:
        form = req.form
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") \
                != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return json_response({"error": "unsupported_grant_type"}, 400)
        assertion = form.get("client_assertion", "")
        try:
            client_id = jwt.decode(assertion, options={"verify_signature": False})["iss"]
            client = self.clients[client_id]
            key = jwt.PyJWKClient(client.jwks_url).get_signing_key_from_jwt(assertion)
            claims = jwt.decode(assertion, key.key, algorithms=["RS256"],
                                audience=f"{self.base}/token")
            assert claims["sub"] == client_id and claims.get("jti")
        except Exception as exc:  # any failure is the client's: answer like a real server
            self.errors.append(f"token: {exc!r}")
            return json_response({"error": "invalid_client"}, 401)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                      "scope": form.get("scope", "")})

    def _authorized(self, req: Request) -> bool:
        return req.headers.get("Authorization", "").removeprefix("Bearer ") in self.tokens

    def create_lineitem(self, req: Request) -> Response:
        if not self._authorized(req):
            return Response("unauthorized", 401)
        body = req.get_json()
        item = dict(body, id=f"{self.base}/lineitems/created-{len(self.lineitems) + 1}")
        self.lineitems[item["id"].rsplit("/", 1)[1]] = item
        return json_response(item, 201)

    def list_lineitems(self, req: Request) -> Response:
        if not self._authorized(req):
            return Response("unauthorized", 401)
        want = req.args
        found = [i for i in self.lineitems.values()
                 if ("resource_link_id" not in want
                     or i.get("resourceLinkId") == want["resource_link_id"])
                 and ("tag" not in want or i.get("tag") == want["tag"])]
        return json_response(found)

    def score(self, req: Request, item_id: str) -> Response:
        self.score_attempts += 1
        if not self._authorized(req):
            return Response("unauthorized", 401)
        if req.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
            return Response("bad content type", 415)
        if self.fail_scores > 0:
            self.fail_scores -= 1
            return Response("platform down", 503)
        if time.time() < self.hang_until:
            with self._score_lock:
                self.hung += 1
            time.sleep(max(0.0, self.hang_until - time.time()))
            return Response("gateway timeout", 504)
        with self._score_lock:
            roll = self.rng.random() if self.fail_rate else 1.0
            if roll < self.fail_rate / 2:
                self.failed += 1
                return Response("platform down", 503)
            score = dict(req.get_json(), lineitem=item_id)
            key = (item_id, json.dumps(score, sort_keys=True))
            duplicate = key in self._score_keys
            self._score_keys.add(key)
            self.duplicates += duplicate
            if not (duplicate and self.dedupe):
                self.scores.append(score)
            if roll < self.fail_rate:
                self.acks_lost += 1
                return Response("platform down", 503)
        return Response("", 204)

    def dl_return(self, req: Request) -> Response:
        token = req.form.get("JWT", "")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
            client = self.clients[unverified["iss"]]
            key = jwt.PyJWKClient(client.jwks_url).get_signing_key(header["kid"])
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.issuer)
            assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
            assert claims[LTI + "deployment_id"] == client.deployment_id
            assert claims[DL + "data"] == "dl-data-1"
        except Exception as exc:  # recorded for the test to assert on
            self.errors.append(f"deep link: {exc!r}")
            return Response("bad deep linking response", 400)
        self.deep_links.append(claims)
        return Response("<h1>Content added</h1>", mimetype="text/html")

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.base, "authorization_endpoint": f"{self.browser_base}/auth",
            "token_endpoint": f"{self.base}/token", "jwks_uri": f"{self.base}/jwks",
            "registration_endpoint": f"{self.base}/register",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "scopes_supported": ["openid"], "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "sub", "aud"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "packager-test-platform", "version": "1.0",
                "messages_supported": [{"type": "LtiResourceLinkRequest"},
                                       {"type": "LtiDeepLinkingRequest"}]},
        }

    def register(self, req: Request) -> Response:
        if not self.registration_open or \
                req.headers.get("Authorization") != f"Bearer {self.registration_token}":
            self.errors.append("registration without a valid one-time token")
            return json_response({"error": "invalid_token"}, 401)
        self.registration_open = False  # the token works once
        body = req.get_json()
        conf = body["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        client_id = f"dyn-{len(self.registrations) + 1}"
        self.clients[client_id] = Client(client_id, f"dyn-dep-{len(self.registrations) + 1}",
                                         body["redirect_uris"], body["initiate_login_uri"],
                                         body["jwks_uri"])
        self.registrations.append(body)
        return json_response(dict(body, client_id=client_id, **{
            "https://purl.imsglobal.org/spec/lti-tool-configuration":
                dict(conf, deployment_id=self.clients[client_id].deployment_id)}))

    def register_page(self, tool_url: str) -> Response:
        """The admin's page: opens the tool's registration URL in an iframe, waits for close."""
        url = (f"{tool_url}?openid_configuration={self.base}/.well-known/openid-configuration"
               f"&registration_token={self.registration_token}")
        body = (f'<h1>Register a tool</h1><p id="status">waiting</p>'
                f'<iframe id="reg" src="{html.escape(url)}"></iframe><script>'
                'window.addEventListener("message", function (e) {'
                ' if (e.data && e.data.subject === "org.imsglobal.lti.close") {'
                ' document.getElementById("status").textContent = "closed";'
                ' document.getElementById("reg").remove(); } });</script>')
        return Response(body, mimetype="text/html")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _autopost(action: str, fields: dict[str, str]) -> Response:
    inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return Response(f'<form id="f" method="post" action="{html.escape(action)}">{inputs}</form>'
                    '<script>document.getElementById("f").submit()</script>',
                    mimetype="text/html")


def tool_jwks(url: str) -> dict[str, Any]:
    return requests.get(url, timeout=10).json()
