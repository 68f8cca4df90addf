"""The web layer: Flask routes that turn HTTP into Tool calls (the only module importing Flask).

Production: ``gunicorn 'packager.lti.flask_app:create_app()'`` with PACKAGER_LTI_* variables.
"""

from __future__ import annotations

import atexit
import ipaddress
from typing import Any

from flask import Flask, Response, abort, jsonify, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix

from packager.lti.cache import CacheUnavailable
from packager.lti.config import ToolSettings
from packager.lti.grading import GradingError
from packager.lti.launch import LtiError, WebRequest
from packager.lti.tool import Page, Tool


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _cross_site_cookies() -> bool:
    """Whether cookies can be SameSite=None; Secure: over HTTPS, or on localhost (browsers
    treat it as secure, which the tests rely on)."""
    return request.is_secure or _loopback(request.host)


def _web_request() -> WebRequest:
    params = {**request.args.to_dict(), **request.form.to_dict()}
    return WebRequest(params=params, cookies=dict(request.cookies),
                      secure=_cross_site_cookies())


def _respond(page: Page) -> Response:
    resp: Response = redirect(page.redirect, 302) if page.redirect else Response(
        page.html, status=page.status, mimetype="text/html")
    # Launches arrive in a cross-site iframe: cookies must be SameSite=None; Secure, and
    # Partitioned (CHIPS) so browsers that block third-party cookies still keep them per site.
    cross_site = _cross_site_cookies()
    for name, value, max_age in page.cookies:
        resp.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        secure=cross_site, samesite="None" if cross_site else "Lax",
                        partitioned=cross_site)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def create_app(settings: ToolSettings | None = None) -> Flask:
    """The Flask app; settings default to PACKAGER_LTI_* environment variables."""
    settings = settings or ToolSettings.from_env()
    tool = Tool(settings)
    # Let the outbox finish (and release) the score it is sending when the worker stops,
    # so a restarted server can send it at once instead of waiting for the lease to expire.
    atexit.register(tool.close)
    app = Flask(__name__)
    app.extensions["packager_lti"] = tool
    if settings.proxy_fix:
        n = settings.proxy_fix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n,  # type: ignore
                                x_port=n, x_prefix=n)

    def base() -> str:
        return tool.base(request.url_root)

    @app.errorhandler(LtiError)
    def lti_error(error: LtiError) -> Response:
        return _respond(tool.error_page(error))

    @app.errorhandler(CacheUnavailable)
    def cache_unavailable(error: CacheUnavailable) -> Response:
        app.logger.error("launch cache unavailable: %s", error)
        page = tool.error_page(LtiError("The course cannot open right now; please try again "
                                        "in a minute.", 503))
        resp = _respond(page)
        resp.headers["Retry-After"] = "30"
        return resp

    @app.errorhandler(GradingError)
    def grading_error(error: GradingError) -> tuple[Response, int]:
        return jsonify(error=str(error)), error.status

    @app.errorhandler(500)
    def server_error(_error: Any) -> Response:
        # The traceback goes to the log; the learner sees a plain page.
        return _respond(tool.error_page(LtiError("The tool hit an internal error.", 500)))

    @app.get("/")
    def home() -> Response:
        return jsonify(title=settings.title, configuration=f"{base()}/lti/config.json",
                       canvas=f"{base()}/lti/canvas.json", registration=f"{base()}/lti/register",
                       courses=[{"id": b.id, "version": b.version, "title": b.title}
                                for b in tool.library.all()])

    @app.get("/.well-known/jwks.json")
    def jwks() -> Response:
        return jsonify(tool.jwks())

    @app.get("/lti/config.json")
    def configuration() -> Response:
        return jsonify(tool.configuration(base()))

    @app.get("/lti/canvas.json")
    def canvas() -> Response:
        return jsonify(tool.canvas(base()))

    @app.route("/lti/login", methods=["GET", "POST"])
    def login() -> Response:
        return _respond(tool.login(_web_request(), base()))

    @app.post("/lti/launch")
    def launch() -> Response:
        return _respond(tool.launch(_web_request(), base()))

    @app.post("/lti/deeplink")
    def deep_link() -> Response:
        form = request.form
        return _respond(tool.deep_link(form.get("token", ""), form.get("course", ""),
                                       form.get("module", ""), base()))

    @app.get("/lti/register")
    def register() -> Response:
        return _respond(tool.register(request.args.get("openid_configuration", ""),
                                      request.args.get("registration_token"), base()))

    @app.get("/c/<course_id>/<version>/<path:name>")
    def course_file(course_id: str, version: str, name: str) -> Response:
        bundle = tool.library.get(course_id, version)
        data = bundle.read(name) if bundle else None
        if data is None or name.endswith(".html"):
            abort(404)  # course documents only come from a validated launch
        resp = Response(data, mimetype=bundle.mimetype(name))  # type: ignore[union-attr]
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp

    def token() -> str:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""

    @app.post("/api/grade")
    def grade() -> Response:
        return jsonify(tool.learner.grade(token(), request.get_json(silent=True)))

    @app.post("/api/state")
    def state() -> Response:
        return jsonify(tool.learner.save_state(token(), request.get_json(silent=True)))

    return app
