"""Platform registrations: a pylti1p3 ToolConfJsonFile-format file (re-read on change) plus
platforms added by LTI Dynamic Registration (stored in the database)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from packager.lti.keys import SigningKey
from packager.lti.store import DynamicRegistration

AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
TOOL_CONFIG_CLAIM = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG_CLAIM = "https://purl.imsglobal.org/spec/lti-platform-configuration"


class RegistrationError(Exception):
    """Dynamic registration could not complete (shown to the admin, never a traceback)."""


class Platforms(ToolConfAbstract):
    """pylti1p3's tool configuration over both sources; every issuer may have many clients."""

    def __init__(self, path: Path | None, sessions: sessionmaker[Session],
                 signing_key: Callable[[], SigningKey]) -> None:
        self.issuers_relation_types = {}  # the base class shares a class-level dict: not here
        self._path = path
        self._sessions = sessions
        self._signing_key = signing_key
        self._file: dict[str, list[dict[str, Any]]] = {}
        self._stamp: float | None = None
        self._lock = threading.Lock()

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _file_entries(self) -> dict[str, list[dict[str, Any]]]:
        if self._path is None or not self._path.exists():
            return {}
        with self._lock:
            stamp = self._path.stat().st_mtime
            if stamp != self._stamp:
                raw = json.loads(self._path.read_text(encoding="utf-8"))
                self._file = {iss: conf if isinstance(conf, list) else [conf]
                              for iss, conf in raw.items()}
                self._stamp = stamp
            return self._file

    def entries(self, iss: str) -> list[dict[str, Any]]:
        """Every client of an issuer, from the file first, then dynamic registrations."""
        found = list(self._file_entries().get(iss, []))
        with self._sessions() as db:
            for reg in db.scalars(select(DynamicRegistration).where(
                    DynamicRegistration.issuer == iss)):
                found.append({
                    "client_id": reg.client_id, "auth_login_url": reg.auth_login_url,
                    "auth_token_url": reg.auth_token_url, "auth_audience": reg.auth_audience,
                    "key_set_url": reg.key_set_url, "deployment_ids": reg.deployment_ids,
                })
        return found

    def knows(self, iss: str | None) -> bool:
        return bool(iss) and bool(self.entries(iss))

    def find_conf(self, iss: str, client_id: str | None) -> dict[str, Any] | None:
        items = self.entries(iss)
        for item in items:
            if client_id and item["client_id"] == client_id:
                return item
        if not client_id:
            defaults = [i for i in items if i.get("default")]
            if defaults or len(items) == 1:
                return (defaults or items)[0]
        return None

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self.find_registration_by_params(iss, None)  # type: ignore[return-value]

    def find_registration_by_params(self, iss: str, client_id: str | None, *args: Any,
                                    **kwargs: Any) -> Registration | None:
        conf = self.find_conf(iss, client_id)
        if conf is None:
            return None
        key = self._signing_key()
        reg = Registration()
        reg.set_issuer(iss).set_client_id(conf["client_id"])
        reg.set_auth_login_url(conf["auth_login_url"]).set_auth_token_url(conf["auth_token_url"])
        reg.set_key_set_url(conf.get("key_set_url")).set_key_set(conf.get("key_set"))
        if conf.get("auth_audience"):
            reg.set_auth_audience(conf["auth_audience"])
        reg.set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem)
        return reg

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str | None,
                                  *args: Any, **kwargs: Any) -> Deployment | None:
        conf = self.find_conf(iss, client_id)
        if conf is None or deployment_id not in conf["deployment_ids"]:
            return None
        return Deployment().set_deployment_id(deployment_id)


def tool_configuration(base: str, title: str) -> dict[str, Any]:
    """The tool's registration document (LTI Dynamic Registration / OpenID client metadata)."""
    launch = f"{base}/lti/launch"
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "client_name": title,
        "initiate_login_uri": f"{base}/lti/login",
        "redirect_uris": [launch],
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(AGS_SCOPES),
        TOOL_CONFIG_CLAIM: {
            "domain": urlparse(base).netloc,
            "target_link_uri": launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": launch,
                 "label": f"Add a course from {title}",
                 "placements": ["ContentArea", "link_selection", "assignment_selection"],
                 "supported_types": ["ltiResourceLink"]},
            ],
        },
    }


def canvas_configuration(base: str, title: str) -> dict[str, Any]:
    """A Canvas developer key (LTI 1.3, "Paste JSON")."""
    launch = f"{base}/lti/launch"
    placement = {"message_type": "LtiDeepLinkingRequest", "target_link_uri": launch,
                 "text": title}
    return {
        "title": title,
        "description": "Courses compiled by packager, graded on the tool server.",
        "oidc_initiation_url": f"{base}/lti/login",
        "target_link_uri": launch,
        "public_jwk_url": f"{base}/.well-known/jwks.json",
        "scopes": list(AGS_SCOPES),
        "extensions": [{
            "platform": "canvas.instructure.com",
            "privacy_level": "public",
            "domain": urlparse(base).netloc,
            "settings": {"placements": [
                dict(placement, placement="link_selection"),
                dict(placement, placement="assignment_selection"),
            ]},
        }],
        "custom_fields": {},
    }


def register_dynamically(openid_configuration: str, token: str | None, base: str, title: str,
                         sessions: sessionmaker[Session],
                         http: requests.Session | None = None) -> DynamicRegistration:
    """LTI Dynamic Registration: read the platform's configuration, register, store the result."""
    http = http or requests.Session()
    try:
        resp = http.get(openid_configuration, timeout=15)
        resp.raise_for_status()
        platform = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise RegistrationError(f"cannot read the platform configuration: {exc}") from exc
    issuer = platform.get("issuer", "")
    # The spec binds the configuration to its issuer: same scheme and host.
    conf_url, iss_url = urlparse(openid_configuration), urlparse(issuer)
    if (conf_url.scheme, conf_url.netloc) != (iss_url.scheme, iss_url.netloc):
        raise RegistrationError("the configuration's issuer does not match its URL")
    needed = ("registration_endpoint", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [k for k in needed if not platform.get(k)]
    if missing:
        raise RegistrationError(f"the platform configuration lacks {', '.join(missing)}")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        resp = http.post(platform["registration_endpoint"], headers=headers, timeout=15,
                         data=json.dumps(tool_configuration(base, title)))
        resp.raise_for_status()
        answer = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise RegistrationError(f"the platform refused the registration: {exc}") from exc
    client_id = answer.get("client_id")
    deployment = answer.get(TOOL_CONFIG_CLAIM, {}).get("deployment_id")
    if not client_id:
        raise RegistrationError("the platform's answer has no client_id")
    with sessions() as db, db.begin():
        reg = db.scalar(select(DynamicRegistration).where(
            DynamicRegistration.issuer == issuer, DynamicRegistration.client_id == client_id))
        if reg is None:
            reg = DynamicRegistration(issuer=issuer, client_id=client_id, deployment_ids=[])
            db.add(reg)
        if deployment and deployment not in reg.deployment_ids:
            reg.deployment_ids = [*reg.deployment_ids, deployment]
        reg.auth_login_url = platform["authorization_endpoint"]
        reg.auth_token_url = platform["token_endpoint"]
        reg.auth_audience = platform.get("authorization_server")
        reg.key_set_url = platform["jwks_uri"]
        reg.platform_name = platform.get(PLATFORM_CONFIG_CLAIM, {}).get("product_family_code", "")
    return reg
