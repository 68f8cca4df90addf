"""A second test platform, built on the ``lti1p3platform`` library rather than written by us.

Our own platform (tests/lti/platform.py) checks what we read in the specs; this one checks
that the tool also works with someone else's reading. The library does the OIDC login
initiation, the launch message and its signature, the platform's JWKS, the client-credentials
token (verifying the tool's signed assertion against the tool's JWKS) and the checking of
the AGS bearer token. This file only routes requests to it and records the scores.
"""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LibRequest
from lti1p3platform.request import TRequest
from werkzeug.serving import make_server
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from tests.lti.platform import json_response, new_key, private_pem, public_pem

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


class _Request(LibRequest):
    """The library's view of a werkzeug request (it ships Django and FastAPI ones)."""

    def build_metadata(self, request: Request) -> TRequest:
        is_json = "json" in (request.content_type or "")
        return {"method": request.method, "form_data": request.form.to_dict(),
                "get_data": request.args.to_dict(), "headers": request.headers,
                "content_type": request.content_type, "path": request.path,
                "json": request.get_json(silent=True) if is_json else None}


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, registration: Registration) -> None:
        self._registration = registration

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        assert self._registration is not None
        return self._registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, hint: str) -> None:
        self._lti_message_hint = hint

    def get_redirect(self, url: str) -> Response:
        return redirect(url)


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        # The library leaves it to the platform to refuse an unregistered redirect_uri.
        assert self._registration is not None
        if preflight_response.get("redirect_uri") != self._registration.get_launch_url():
            raise ValueError(f"redirect_uri {preflight_response.get('redirect_uri')!r} "
                             "is not registered")

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(launch_data[k])}">'
                         for k in ("id_token", "state"))
        action = html.escape(launch_data["launch_url"])
        return Response(f'<form id="f" method="post" action="{action}">{inputs}</form>'
                        '<script>document.getElementById("f").submit()</script>',
                        mimetype="text/html")


@dataclass
class LibPlatform:
    """Runs in a thread; ``browser_base`` is what pages use, ``base`` what servers call."""

    issuer: str = "https://lib-platform.test"
    host_alias: str = "platform.test"
    client_id: str = "lib-tool"
    deployment_id: str = "lib-dep"
    scores: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    launches: dict[str, dict[str, str]] = field(default_factory=dict)  # hint -> user, course
    port: int = 0
    _conf: _Conf | None = None

    def start(self, tool_base: str) -> LibPlatform:
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.port = self._server.server_port
        key = new_key()
        private, public = private_pem(key).decode(), public_pem(key).decode()
        registration = (Registration().set_iss(self.issuer).set_client_id(self.client_id)
                        .set_deployment_id(self.deployment_id)
                        .set_launch_url(f"{tool_base}/lti/launch")
                        .set_oidc_login_url(f"{tool_base}/lti/login")
                        .set_tool_key_set_url(f"{tool_base}/.well-known/jwks.json")
                        .set_platform_public_key(public).set_platform_private_key(private))
        self._conf = _Conf(registration=registration)
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

    def registration_entry(self) -> dict[str, Any]:
        """This platform as an entry of the tool's platforms.json (pylti1p3's format)."""
        return {self.issuer: [{
            "client_id": self.client_id, "auth_login_url": f"{self.browser_base}/auth",
            "auth_token_url": f"{self.base}/token", "key_set_url": f"{self.base}/jwks",
            "deployment_ids": [self.deployment_id]}]}

    def new_launch(self, user: str, course: str) -> str:
        hint = f"launch-{len(self.launches) + 1}"
        self.launches[hint] = {"user": user, "course": course}
        return f"{self.browser_base}/course/{hint}"

    # ---- requests ----
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        req = Request(environ)
        try:
            resp = self.route(req)
        except Exception as exc:  # a failure of the platform or the library must show
            self.errors.append(f"{req.path}: {exc!r}")
            resp = Response(f"platform error: {exc!r}", 500)
        return resp(environ, start_response)

    def route(self, req: Request) -> Response:
        conf, path = self._conf, req.path
        assert conf is not None
        if path == "/jwks":
            return json_response(conf.get_jwks())
        if path.startswith("/course/"):
            hint = path.rsplit("/", 1)[1]
            return Response(f'<h1>Library platform</h1><iframe id="tool" src="/start/{hint}" '
                            'style="width:100%;height:900px"></iframe>', mimetype="text/html")
        if path.startswith("/start/"):  # the library builds the login initiation
            hint = path.rsplit("/", 1)[1]
            login = _Login(_Request(req), conf)
            login.set_lti_message_hint(hint)
            return login.initiate_login(self.launches[hint]["user"])
        if path == "/auth":
            return self.auth(req)
        if path == "/token" and req.method == "POST":
            return json_response(dict(conf.get_access_token(req.form.to_dict())))
        if path.startswith("/lineitems/") and path.endswith("/scores") and req.method == "POST":
            return self.score(req, path.split("/")[2])
        return Response("not found", 404)

    def auth(self, req: Request) -> Response:
        conf = self._conf
        assert conf is not None
        hint = req.args.get("lti_message_hint", "")
        launch = self.launches[hint]
        if req.args.get("login_hint") != launch["user"]:
            raise ValueError("login_hint does not match the launch")
        message = _Launch(_Request(req), conf)
        message.set_user_data(launch["user"], [ROLE_LEARNER], full_name=f"Lib {launch['user']}")
        message.set_resource_link_claim(f"lib-link-{hint}", title="Ethics course")
        message.set_launch_context_claim("lib-course-1", context_title="CE courses")
        message.set_custom_parameters_claim({"course": launch["course"]})
        message.set_ags(f"{self.base}/lineitems", f"{self.base}/lineitems/{hint}",
                        allow_creating_lineitems=False)
        return message.lti_launch()

    def score(self, req: Request, lineitem: str) -> Response:
        conf = self._conf
        assert conf is not None
        token = req.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            allowed = conf.validate_token(token, allowed_scopes=[SCORE_SCOPE])
        except Exception as exc:  # a bad token is the tool's fault: answer like a platform
            self.errors.append(f"score token: {exc!r}")
            return Response("unauthorized", 401)
        if not allowed:
            self.errors.append("score token without the score scope")
            return Response("forbidden", 403)
        if req.content_type != "application/vnd.ims.lis.v1.score+json":
            return Response("bad content type", 415)
        self.scores.append({"lineitem": lineitem, **json.loads(req.get_data())})
        return Response("", 204)

