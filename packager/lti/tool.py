"""The tool: wires storage, cache, keys, platforms and bundles, and handles each LTI message.

Framework-free: flask_app.py turns HTTP into these calls and their results back into HTTP.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import select

from packager.lti import pages
from packager.lti.ags import Outbox
from packager.lti.bundles import Library
from packager.lti.cache import make_cache
from packager.lti.config import ToolSettings
from packager.lti.keys import SigningKey, jwks, load_active
from packager.lti.launch import MESSAGE_TYPE, LtiError, WebRequest, login, validate_launch
from packager.lti.learner import Learner
from packager.lti.registration import (
    Platforms,
    RegistrationError,
    canvas_configuration,
    register_dynamically,
    tool_configuration,
)
from packager.lti.store import Launch, Progress, open_store
from packager.render import script_json
from packager.targets.lti import COURSE_DOC, module_doc

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
HEAD = re.compile(r"<head(\s[^>]*)?>", re.I)


@dataclass
class Page:
    """An HTML answer: status, body and cookies to set."""

    html: str
    status: int = 200
    cookies: list[tuple[str, str, int | None]] = field(default_factory=list)
    redirect: str | None = None


class Tool:
    """One tool server's state; safe to share between request threads."""

    def __init__(self, settings: ToolSettings) -> None:
        settings.check()
        self.settings = settings
        self.sessions = open_store(settings.db)
        self.cache = make_cache(settings.redis)
        self.library = Library(settings.bundles)
        self._key: tuple[float, SigningKey] | None = None
        self.signing_key()  # fail at start-up, not at the first launch, when keys are missing
        self.platforms = Platforms(settings.platforms, self.sessions, self.signing_key)
        self.outbox = Outbox(self.sessions, self.platforms, self.signing_key,
                             interval=settings.outbox_interval, backoff=settings.backoff,
                             backoff_max=settings.backoff_max)
        self.learner = Learner(self.sessions, self.library, self.outbox)
        if settings.run_outbox:
            self.outbox.start()

    def close(self) -> None:
        self.outbox.stop()

    # ---- keys and published configuration ----
    def signing_key(self) -> SigningKey:
        """The active key, re-read when `packager lti keys --rotate` changes it."""
        stamp = (Path(self.settings.keys) / "active").stat().st_mtime \
            if (Path(self.settings.keys) / "active").exists() else 0.0
        if self._key is None or self._key[0] != stamp:
            self._key = (stamp, load_active(self.settings.keys))
        return self._key[1]

    def jwks(self) -> dict[str, Any]:
        return jwks(self.settings.keys)

    def base(self, request_root: str) -> str:
        return (self.settings.base_url or request_root).rstrip("/")

    def configuration(self, base: str) -> dict[str, Any]:
        return tool_configuration(base, self.settings.title)

    def canvas(self, base: str) -> dict[str, Any]:
        return canvas_configuration(base, self.settings.title)

    # ---- OIDC login and launch ----
    def login(self, request: WebRequest, base: str) -> Page:
        result = login(request, self.platforms, self.cache, f"{base}/lti/launch",
                       cookie_check=self.settings.cookie_check)
        if result.redirect:
            return Page("", 302, request.set_cookies, redirect=result.redirect)
        return Page(result.html or "", 200, request.set_cookies)

    def launch(self, request: WebRequest, base: str) -> Page:
        claims = validate_launch(request, self.platforms, self.cache)
        if claims.get(MESSAGE_TYPE) == "LtiDeepLinkingRequest":
            token = self._new_launch(claims, "deeplink", None)
            html = pages.render("picker.html", title=self.settings.title,
                                bundles=self.library.all(), token=token,
                                action=f"{base}/lti/deeplink")
            return Page(html, 200, request.set_cookies)
        custom = claims.get(CUSTOM) or {}
        bundle = self.library.get(str(custom.get("course", "")), custom.get("version") or None)
        if bundle is None:
            raise LtiError("This link names a course the tool does not have.", 404)
        module = str(custom.get("module") or "")
        if module and bundle.module(module) is None:
            raise LtiError("This link names a module the course does not have.", 404)
        document = module_doc(module) if module else COURSE_DOC
        progress = self._progress(claims, bundle.id, document)
        token = self._new_launch(claims, "resource", progress.id)
        boot = self.learner.boot(token, progress, bundle.course(document))
        boot["api"] = f"{base}/api"
        boot["learnerName"] = claims.get("name") or claims.get("given_name")
        html = (bundle.read(document) or b"").decode("utf-8")
        root = f"{base}/c/{bundle.id}/{bundle.version}/"
        # Right after <head> (whatever a theme's template holds): relative URLs resolve into
        # the bundle, and lti.js finds the launch data before the runtime starts.
        inject = (f'\n<base href="{root}">\n<script type="application/json" id="lti-launch">'
                  f'{script_json(boot)}</script>')
        html = HEAD.sub(lambda m: m.group(0) + inject, html, count=1)
        return Page(html, 200, request.set_cookies)

    def _progress(self, claims: dict[str, Any], course_id: str, document: str) -> Progress:
        key = dict(issuer=claims["iss"], client_id=_client_id(claims),
                   deployment_id=claims[DEPLOYMENT],
                   context_id=str((claims.get(CONTEXT) or {}).get("id", "")),
                   resource_link_id=str((claims.get(RESOURCE_LINK) or {}).get("id", "")),
                   sub=claims["sub"], document=document)
        with self.sessions() as db, db.begin():
            row = db.scalar(select(Progress).filter_by(**key))
            if row is None:
                row = Progress(course_id=course_id, **key)
                db.add(row)
                db.flush()
            return row

    def _new_launch(self, claims: dict[str, Any], kind: str, progress_id: int | None) -> str:
        token = secrets.token_urlsafe(32)
        with self.sessions() as db, db.begin():
            db.add(Launch(token=token, progress_id=progress_id, issuer=claims["iss"],
                          client_id=_client_id(claims), deployment_id=claims[DEPLOYMENT],
                          sub=claims["sub"], kind=kind, claims=claims,
                          expires=time.time() + self.settings.launch_hours * 3600))
        return token

    # ---- deep linking ----
    def deep_link(self, token: str, course_id: str, module_id: str, base: str) -> Page:
        """Sign the instructor's choice as an LtiDeepLinkingResponse and post it back."""
        with self.sessions() as db, db.begin():
            launch = db.get(Launch, token)
            if launch is None or launch.kind != "deeplink" or launch.expires < time.time():
                raise LtiError("This selection has expired; start again from your platform.", 403)
            db.delete(launch)  # one response per deep-linking request
        bundle = self.library.get(course_id)
        if bundle is None or (module_id and bundle.module(module_id) is None):
            raise LtiError("No such course or module.", 404)
        title = bundle.title
        custom = {"course": bundle.id}
        if module_id:
            title = f"{bundle.title}: {bundle.module(module_id)['title']}"  # type: ignore[index]
            custom["module"] = module_id
        registration = self.platforms.find_registration_by_params(launch.issuer, launch.client_id)
        if registration is None:
            raise LtiError("The platform is no longer registered.", 403)
        registration.set_tool_public_key(self.signing_key().public_pem)
        settings = launch.claims.get(DL_SETTINGS) or {}
        resource = (DeepLinkResource().set_url(f"{base}/lti/launch").set_title(title)
                    .set_custom_params(custom)
                    .set_lineitem(LineItem().set_score_maximum(100).set_label(title)
                                  .set_resource_id(f"{bundle.id}/{module_id or '*'}")))
        link = DeepLink(registration, launch.deployment_id, settings)
        jwt_value = link.get_response_jwt([resource])
        return Page(pages.render("autopost.html", title=title,
                                 action=settings["deep_link_return_url"],
                                 fields={"JWT": jwt_value}))

    # ---- dynamic registration ----
    def register(self, openid_configuration: str, token: str | None, base: str) -> Page:
        if not openid_configuration:
            raise LtiError("Missing openid_configuration: open this URL from your platform's "
                           "tool registration page.", 400)
        try:
            reg = register_dynamically(openid_configuration, token, base, self.settings.title,
                                       self.sessions)
        except RegistrationError as exc:
            raise LtiError(f"Registration failed: {exc}", 400) from exc
        return Page(pages.render("registered.html", title=self.settings.title,
                                 issuer=reg.issuer, client_id=reg.client_id))

    def error_page(self, error: LtiError) -> Page:
        return Page(pages.render("error.html", title="The course cannot open",
                                 message=str(error)), error.status)


def _client_id(claims: dict[str, Any]) -> str:
    aud = claims.get("aud")
    return str(claims.get("azp") or (aud[0] if isinstance(aud, list) else aud))
