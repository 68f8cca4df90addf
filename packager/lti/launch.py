"""OIDC login and launch validation: pylti1p3, framework-free, with its known gaps closed.

Closed here: nonces are single-use in a shared store (pylti1p3 only checks they exist),
an unknown issuer is a clean error (pylti1p3 raises a bare Exception), aud/azp are checked,
exp/iat are required, and only the message types the tool handles are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pylti1p3.cookie import CookieService
from pylti1p3.cookies_allowed_check import CookiesAllowedCheckPage
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request

from packager.lti.cache import Cache, CacheStorage, OneTimeNonceSession
from packager.lti.registration import Platforms

MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
HANDLED_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")
NONCE_TTL = 24 * 3600


class LtiError(Exception):
    """A login or launch the tool refuses: shown as a short 4xx page, never a traceback."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class WebRequest(Request):
    """The parts of an HTTP request pylti1p3 reads; cookies to set are collected, not sent."""

    params: dict[str, str]
    cookies: dict[str, str]
    secure: bool
    set_cookies: list[tuple[str, str, int | None]] = field(default_factory=list)

    @property
    def session(self) -> dict[str, Any]:
        return {}  # launch data lives in our cache, never in a framework session

    def is_secure(self) -> bool:
        return self.secure

    def get_param(self, key: str) -> str:
        return self.params.get(key, "")


class CookieJar(CookieService):
    _cookie_prefix = "lti1p3"

    def __init__(self, request: WebRequest) -> None:
        self._request = request

    def _name(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self._request.cookies.get(self._name(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self._request.set_cookies.append((self._name(name), str(value), exp))


class _UrlRedirect(Redirect[str]):
    def __init__(self, url: str) -> None:
        self._url = url

    def do_redirect(self) -> str:
        return self._url

    def do_js_redirect(self) -> str:
        return self._url

    def set_redirect_url(self, location: str) -> None:
        self._url = location

    def get_redirect_url(self) -> str:
        return self._url


class _CookieCheckPage(CookiesAllowedCheckPage):
    def get_js_block(self) -> str:
        # Test the cookie the way the tool sets its own: partitioned, so a browser that blocks
        # third-party cookies but allows CHIPS stays in the iframe instead of a new window.
        attrs = "; SameSite=None; Secure; Partitioned"
        expired = "01-Jan-1970 00:00:01 GMT"
        return (super().get_js_block()
                .replace("'; SameSite=None; secure'", f"'{attrs}'")
                .replace(f'{expired}"', f'{expired}; path=/{attrs}"'))


class _Login(OIDCLogin):
    def get_redirect(self, url: str) -> Redirect[str]:
        return _UrlRedirect(url)

    def get_response(self, html: str) -> str:
        return html

    def get_cookies_allowed_js_check(self) -> str:
        params = {"lti1p3_new_window": "1"}
        for name in ("iss", "login_hint", "target_link_uri", "lti_message_hint",
                     "lti_deployment_id", "client_id"):
            if self._get_request_param(name):
                params[name] = self._get_request_param(name)
        page = _CookieCheckPage(params, "https" if self._request.is_secure() else "http",
                                "Your browser blocks cookies in this frame.",
                                "Open the course in a new window.", "Loading...")
        return page.get_html()


@dataclass
class LoginResult:
    """Either a redirect to the platform's auth endpoint or pylti1p3's cookie-check page."""

    redirect: str | None = None
    html: str | None = None


def login(request: WebRequest, platforms: Platforms, cache: Cache, launch_url: str,
          cookie_check: bool = True) -> LoginResult:
    """OIDC third-party login initiation (GET or POST)."""
    iss = request.get_param("iss")
    if not platforms.knows(iss):
        raise LtiError("This platform is not registered with the tool.", 400)
    storage = CacheStorage(cache)
    oidc = _Login(request, platforms, OneTimeNonceSession(request), CookieJar(request), storage)
    if cookie_check:
        # When the iframe cannot keep cookies, pylti1p3's page offers a new window instead.
        oidc.enable_check_cookies()
        if not request.get_param("lti1p3_new_window"):
            return LoginResult(html=oidc.get_cookies_allowed_js_check())
    try:
        return LoginResult(redirect=oidc.get_redirect_object(launch_url).get_redirect_url())
    except (OIDCException, LtiException) as exc:
        raise LtiError(f"Login refused: {exc}", 400) from exc


class _Launch(MessageLaunch):
    platforms: Platforms
    cache: Cache

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def validate(self) -> _Launch:
        # pylti1p3's order checks the nonce before the signature, so a forged token could burn a
        # real one: verify the signature first, then consume the nonce.
        self._validated = True
        try:
            return (self.validate_state().validate_jwt_format().validate_registration()
                    .validate_jwt_signature().validate_nonce().validate_deployment()
                    .validate_message().save_launch_data())
        except Exception:
            self._validated = False
            raise

    def validate_registration(self) -> _Launch:
        if not self.platforms.knows(self._get_jwt_body().get("iss")):
            raise LtiException("unknown issuer")
        super().validate_registration()
        body = self._get_jwt_body()
        aud = body.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        client_id = self._registration.get_client_id()
        if client_id not in auds:
            raise LtiException("the token is not addressed to this tool")
        if len(auds) > 1 and body.get("azp") != client_id:
            raise LtiException("azp does not name this tool")
        return self

    def validate_nonce(self) -> _Launch:
        super().validate_nonce()  # consumes the browser-scoped nonce (OneTimeNonceSession)
        body = self._get_jwt_body()
        # And a global marker, so a token is dead everywhere once used, whatever the cookies.
        if not self.cache.add(f"used-nonce:{body.get('iss')}:{body['nonce']}", 1, NONCE_TTL):
            raise LtiException("nonce already used")
        return self

    def validate_message(self) -> _Launch:
        if self._get_jwt_body().get(MESSAGE_TYPE) not in HANDLED_TYPES:
            raise LtiException("unsupported message type")
        return super().validate_message()


def validate_launch(request: WebRequest, platforms: Platforms, cache: Cache) -> dict[str, Any]:
    """Validate an id_token POST; returns its claims or raises LtiError (4xx)."""
    storage = CacheStorage(cache)
    launch = _Launch(request, platforms, OneTimeNonceSession(request), CookieJar(request))
    launch.platforms, launch.cache = platforms, cache
    launch.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat", "nonce"]})
    try:
        launch.set_launch_data_storage(storage)
        launch.validate()
    except LtiException as exc:
        raise LtiError(f"Launch refused: {exc}", 401) from exc
    return dict(launch.get_launch_data())
