"""The LMS side of a cmi5 launch: registrations, the fetch URL, the State API, statement relay.

Ralph stores statements only, so this server keeps the State API documents (LMS.LaunchData and
the AU's own state) itself and passes statements through to Ralph with the LMS's credentials.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.cmi5.lrs import Ralph

CMI5 = "https://w3id.org/xapi/cmi5/"
SESSION_EXT = CMI5 + "context/extensions/sessionid"
LAUNCH_STATE = "LMS.LaunchData"


@dataclass
class Launch:
    """One AU launch (an AU session) the LMS made."""

    url: str
    registration: str
    session_id: str
    activity_id: str
    publisher_id: str
    actor: dict[str, Any]
    token: str
    fetch_id: str
    launch_data: dict[str, Any]


@dataclass
class Requests:
    """What the AU asked of the LMS, for assertions."""

    log: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, detail)

    def count(self, method: str, path_prefix: str, detail: str | None = None) -> int:
        return sum(1 for m, p, d in self.log
                   if m == method and p.startswith(path_prefix) and detail in (None, d))


class LMS:
    """A small LMS: launches AUs, answers the fetch URL and the State API, relays statements."""

    def __init__(self, lrs: Ralph) -> None:
        self.lrs = lrs
        self.launches: list[Launch] = []
        self.tokens: dict[str, Launch] = {}
        self.fetch_used: dict[str, bool] = {}
        self.state: dict[tuple[str, str, str, str], bytes] = {}
        self.requests = Requests()
        self.offline = False  # True: xAPI calls get no answer (the connection is dropped)
        self.violations: list[str] = []
        self.relayed: list[int] = []  # Ralph's answer to each statement request passed on
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"lms": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}/"
        self.endpoint = self.base + "xapi/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the LMS's own actions -----------------------------------------------------------

    def launch(self, au_url: str, publisher_id: str, *, registration: str | None = None,
               mode: str = "Normal", mastery: float | None = 0.8,
               move_on: str = "CompletedAndPassed", return_url: str | None = None) -> Launch:
        """Register (or reuse) a registration, write LaunchData, record Launched, give a URL."""
        registration = registration or str(uuid.uuid4())
        session_id = str(uuid.uuid4())
        # The LMS's own activity id for the AU: stable per AU, never the publisher's id.
        activity_id = self.base + "activities/" + hashlib.sha256(
            publisher_id.encode()).hexdigest()[:16]
        actor = {"objectType": "Agent", "name": "Pat Learner",
                 "account": {"homePage": self.base, "name": "learner-1"}}
        template = {"contextActivities": {"grouping": [{"objectType": "Activity",
                                                        "id": publisher_id}]},
                    "extensions": {SESSION_EXT: session_id}}
        data: dict[str, Any] = {"contextTemplate": template, "launchMode": mode,
                                "launchMethod": "AnyWindow", "moveOn": move_on}
        if mastery is not None:
            data["masteryScore"] = mastery
        if return_url:
            data["returnURL"] = return_url
        self.put_state(activity_id, actor, registration, LAUNCH_STATE, json.dumps(data).encode())
        token = uuid.uuid4().hex
        fetch_id = uuid.uuid4().hex
        params = {"endpoint": self.endpoint, "fetch": f"{self.base}fetch/{fetch_id}",
                  "actor": json.dumps(actor, separators=(",", ":")),
                  "registration": registration, "activityId": activity_id}
        url = au_url + ("&" if "?" in au_url else "?") + urllib.parse.urlencode(params)
        launch = Launch(url, registration, session_id, activity_id, publisher_id, actor, token,
                        fetch_id, data)
        with self.lock:
            self.launches.append(launch)
            self.tokens[token] = launch
            self.fetch_used[fetch_id] = False
        launched = {
            "id": str(uuid.uuid4()), "actor": actor,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/launched",
                     "display": {"en-US": "Launched"}},
            "object": {"id": activity_id, "objectType": "Activity"},
            "context": {**json.loads(json.dumps(template)), "registration": registration},
        }
        launched["context"]["contextActivities"]["category"] = [
            {"id": CMI5 + "context/categories/cmi5", "objectType": "Activity"}]
        launched["context"]["extensions"].update({
            CMI5 + "context/extensions/launchmode": mode,
            CMI5 + "context/extensions/launchurl": au_url,
            CMI5 + "context/extensions/moveon": move_on,
        })
        status, body = self.lrs.request("POST", "statements", [launched])
        assert status == 200, (status, body[:500])
        return launch

    # -- the State API, kept here -----------------------------------------------------------

    @staticmethod
    def _agent_key(agent: dict[str, Any]) -> str:
        account = agent.get("account") or {}
        return agent.get("mbox") or f"{account.get('homePage')}|{account.get('name')}"

    def put_state(self, activity_id: str, agent: dict[str, Any], registration: str,
                  state_id: str, body: bytes) -> None:
        with self.lock:
            self.state[(activity_id, self._agent_key(agent), registration, state_id)] = body

    def get_state(self, activity_id: str, agent: dict[str, Any], registration: str,
                  state_id: str) -> bytes | None:
        with self.lock:
            return self.state.get((activity_id, self._agent_key(agent), registration, state_id))


class _Handler(http.server.BaseHTTPRequestHandler):
    lms: LMS
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "X-Experience-API-Version")
        self.send_header("X-Experience-API-Version", "1.0.3")
        self.send_header("Cache-Control", "no-store")
        if body or status not in (204, 304):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode())

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_OPTIONS(self) -> None:  # noqa: N802 (CORS preflight: the AU is on another origin)
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
        self.send_header("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, X-Experience-API-Version")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._route("PUT")

    def _route(self, method: str) -> None:
        lms = self.lms
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        body = self._body() if method in ("POST", "PUT") else b""
        path = parts.path
        lms.requests.log.append((method, path, query.get("stateId", "")))
        if path == "/return":
            self._send(200, b"<!DOCTYPE html><title>LMS</title><h1>Back in the LMS</h1>",
                       "text/html")
            return
        if path.startswith("/fetch/") and method == "POST":
            fetch_id = path.rsplit("/", 1)[1]
            with lms.lock:
                known = fetch_id in lms.fetch_used
                used = lms.fetch_used.get(fetch_id, False)
                lms.fetch_used[fetch_id] = True
                launch = next((x for x in lms.launches if x.fetch_id == fetch_id), None)
            if not known or launch is None:
                self._json(404, {"error-code": "3", "error-text": "unknown fetch URL"})
            elif used:
                lms.violations.append(f"fetch URL {fetch_id} requested twice")
                self._json(200, {"error-code": "1", "error-text": "already in use"})
            else:
                self._json(200, {"auth-token": launch.token})
            return
        if not path.startswith("/xapi/"):
            self._send(404, b"{}")
            return
        if lms.offline:
            self.close_connection = True  # no answer at all: the LRS is unreachable
            return
        auth = self.headers.get("Authorization", "")
        launch = lms.tokens.get(auth.removeprefix("Basic ").strip())
        if launch is None:
            self._json(401, {"error": "bad credentials"})
            return
        rest = path.removeprefix("/xapi/")
        if rest == "activities/state":
            self._state(method, query, body, launch)
        elif rest == "statements" and method in ("POST", "PUT"):
            self._statements(method, query, body, launch)
        elif rest == "about":
            self._json(200, {"version": ["1.0.3"]})
        else:
            self._json(404, {"error": f"not served: {method} {rest}"})

    def _state(self, method: str, query: dict[str, str], body: bytes, launch: Launch) -> None:
        lms = self.lms
        try:
            agent = json.loads(query["agent"])
            key = (query["activityId"], agent, query.get("registration", ""), query["stateId"])
        except (KeyError, ValueError):
            self._json(400, {"error": "activityId, agent and stateId are required"})
            return
        if key[2] != launch.registration or key[0] != launch.activity_id:
            self._json(403, {"error": "another registration's or activity's state"})
            return
        if method == "GET":
            doc = lms.get_state(*key)
            self._send(404, b"") if doc is None else self._send(200, doc)
            return
        if key[3] == LAUNCH_STATE:
            lms.violations.append("the AU wrote LMS.LaunchData")
            self._json(403, {"error": "LMS.LaunchData is the LMS's"})
            return
        lms.put_state(*key, body)
        self._send(204)

    def _statements(self, method: str, query: dict[str, str], body: bytes,
                    launch: Launch) -> None:
        try:
            data = json.loads(body)
        except ValueError:
            self._json(400, {"error": "not JSON"})
            return
        if method == "PUT":
            status, answer = self.lms.lrs.request("PUT", "statements", data, query)
        else:
            status, answer = self.lms.lrs.request("POST", "statements", data)
        self.lms.relayed.append(status)  # Ralph validates every statement against xAPI
        self._send(status, answer)
