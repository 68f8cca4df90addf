"""Simulated learners for the scale tests: full LTI sessions over HTTP with asyncio + httpx.

A session is what a browser does: the LMS page, the OIDC login (pylti1p3's cookie check, then
the redirect), the platform's auth endpoint, the launch, the course's static files, then for
each page the answers (POST /api/grade) and the saved state (POST /api/state), as lti.js does.
The client plays the load balancer: each request names the public host and goes to an
instance chosen round-robin, so a login begun on one instance completes on another; a refused
or broken connection fails over to the next instance.
"""

from __future__ import annotations

import asyncio
import html
import json
import random
import re
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from itertools import count
from typing import Any
from urllib.parse import urlencode

import httpx

from packager.lti.grading import Course
from packager.model import Question
from tests.lti.platform import Platform, Spec
from tests.scale.cluster import CLIENT_ID, PUBLIC

STEPS = ("lms", "login", "auth", "launch", "assets", "grade", "state")
ABC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ACTION = re.compile(r'<form id="f" method="post" action="([^"]+)"')
_BOOT = re.compile(r'<script type="application/json" id="lti-launch">(.*?)</script>', re.S)
_ASSET = re.compile(r'<(?:script|link)[^>]+(?:src|href)="((?:runtime|assets)/[^"]+)"')
RETRY_ROUNDS = 3
CONNECTION_ERRORS = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError,
                     httpx.WriteError, httpx.PoolTimeout)


def base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + out
        if n == 0:
            return out


def encode_bits(bits: list[int]) -> str:
    """Mirrors encodeBits in core.js."""
    out = ""
    for i in range(0, len(bits), 6):
        out += ABC[sum(1 << j for j in range(6) if i + j < len(bits) and bits[i + j])]
    return out


class Failed(Exception):
    """A step got an answer a learner should not see; ``clean`` when it was a plain 4xx/503."""

    def __init__(self, step: str, status: int, body: str, clean: bool) -> None:
        super().__init__(f"{step}: HTTP {status}: {body[:200]}")
        self.step, self.status, self.clean = step, status, clean


@dataclass
class Results:
    """Everything measured and every answer the tool acknowledged."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sessions: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # unexpected: 500s, tracebacks
    clean_failures: Counter[str] = field(default_factory=Counter)  # 4xx/503 pages, retried
    failovers: int = 0
    acked: dict[str, dict[int, Any]] = field(default_factory=lambda: defaultdict(dict))
    last_score: dict[str, float | None] = field(default_factory=dict)
    completed: dict[str, bool] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)  # when each session ended (epoch)
    wall: float = 0.0

    def error(self, key: str, text: str) -> None:
        self.errors[key] += 1
        if len(self.samples) < 20:
            self.samples.append(text[:2000])

    def percentiles(self, step: str) -> tuple[float, float, float]:
        values = self.latencies.get(step) or [0.0]
        if len(values) == 1:
            return values[0], values[0], values[0]
        q = statistics.quantiles(values, n=100, method="inclusive")
        return q[49], q[94], q[98]


class Router:
    """The load balancer: public names to instance addresses, round-robin, with failover."""

    def __init__(self, instances: list[str], platform: Platform) -> None:
        self.instances = instances
        self._platform = (platform.browser_base, platform.base)
        self._turn = count()

    def targets(self, url: str) -> list[str]:
        if url.startswith(self._platform[0]):
            return [self._platform[1] + url[len(self._platform[0]):]]
        if not url.startswith(PUBLIC):
            return [url]
        path, first = url[len(PUBLIC):], next(self._turn)
        n = len(self.instances)
        return [self.instances[(first + i) % n] + path for i in range(n)]


class Learner:
    """One learner's sessions against the cluster; answers right with probability ``skill``."""

    def __init__(self, http: httpx.AsyncClient, router: Router, platform: Platform,
                 course: Course, questions: dict[str, Question], results: Results,
                 user: str, skill: float = 0.85) -> None:
        self.http, self.router, self.platform = http, router, platform
        self.course, self.questions, self.results = course, questions, results
        self.user = user
        self.rng = random.Random(user)
        self.skill = skill
        self.cookies: dict[str, str] = {}

    async def request(self, step: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One HTTP request, timed under ``step``; connection failures go to the next instance."""
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        targets = self.router.targets(url)
        # Like a balancer's retries: every instance in turn, three rounds, a pause between.
        # A kept-alive connection the server closes as it is reused also lands here.
        tries = [(r, t) for r in range(RETRY_ROUNDS) for t in targets]
        for i, (round_, target) in enumerate(tries):
            start = time.perf_counter()
            try:
                resp = await self.http.request(method, target, headers=headers, **kwargs)
            except CONNECTION_ERRORS:
                if i == len(tries) - 1:
                    raise
                self.results.failovers += 1
                if tries[i + 1][0] != round_:
                    await asyncio.sleep(0.25 * (round_ + 1))
                continue
            self.results.latencies[step].append(time.perf_counter() - start)
            for raw in resp.headers.get_list("set-cookie"):
                name, _, rest = raw.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return resp
        raise AssertionError("no instance to send to")

    def check(self, step: str, resp: httpx.Response, *ok: int) -> httpx.Response:
        if resp.status_code in ok:
            return resp
        body = resp.text
        clean = resp.status_code in (400, 401, 403, 404, 409, 503) and "Traceback" not in body
        raise Failed(step, resp.status_code, body, clean)

    async def launch(self) -> tuple[dict[str, Any], str]:
        """LMS page, OIDC login, auth, launch: returns the boot data and the document."""
        self.cookies = {}
        spec = Spec(user=self.user, client_id=CLIENT_ID, custom={"course": "basic"})
        page = self.check("lms", await self.request("lms", "GET",
                                                    self.platform.new_launch(spec)), 200)
        fields = {k: html.unescape(v) for k, v in _INPUT.findall(page.text)}
        action = re.search(r'action="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        self.check("login", await self.request("login", "POST", action, data=fields), 200)
        # pylti1p3's cookie check reloads the login with lti1p3_new_window=1 when it may.
        again = f"{action}?{urlencode(dict(fields, lti1p3_new_window='1'))}"
        redirect = self.check("login", await self.request("login", "GET", again), 302)
        auth = self.check("auth", await self.request("auth", "GET",
                                                      redirect.headers["location"]), 200)
        form = {k: html.unescape(v) for k, v in _INPUT.findall(auth.text)}
        target = html.unescape(_ACTION.search(auth.text).group(1))  # type: ignore[union-attr]
        doc = self.check("launch", await self.request("launch", "POST", target, data=form), 200)
        match = _BOOT.search(doc.text)
        if not match:
            raise Failed("launch", doc.status_code, doc.text, False)
        return json.loads(match.group(1)), doc.text

    async def session(self) -> None:
        """One whole visit: launch, then every page in order, answering what it asks."""
        for tries in range(4):
            try:
                boot, document = await self.launch()
                break
            except Failed as exc:
                if not exc.clean or tries == 3:
                    raise
                # What a learner does on a "try again" page: wait a moment, click again.
                self.results.clean_failures[f"{exc.step} {exc.status}"] += 1
                await asyncio.sleep(0.5)
        root = f"{PUBLIC}/c/basic/"
        version = re.search(r'<base href="[^"]*/c/basic/([^/]+)/">', document)
        for name in sorted(set(_ASSET.findall(document))):
            url = f"{root}{version.group(1) if version else '1.0.0'}/{name}"
            self.check("assets", await self.request("assets", "GET", url), 200)
        await self.walk(boot)
        self.results.sessions += 1
        self.results.finished.append(time.time())

    async def walk(self, boot: dict[str, Any]) -> None:
        data, api = self.course.data, boot["api"]
        auth = {"Authorization": f"Bearer {boot['token']}"}
        modules = [f"{base36(self.rng.randint(1, 36 ** 6 - 2))}.1"
                   if m["kind"] == "assessment" else 0 for m in data["modules"]]
        seeds = {i: int(m.split(".")[0], 36) for i, m in enumerate(modules) if m}
        active = {qi for mi in range(len(data["modules"]))
                  for qi in self.course.drawn(mi, seeds.get(mi))}
        pages = data["pages"]
        seen, sub = [0] * len(pages), [0] * len(pages)
        answers: list[Any] = [0] * len(data["questions"])
        started = time.time()
        for pi, page in enumerate(pages):
            here = [qi for qi, q in enumerate(data["questions"]) if q["page"] == pi]
            if here and not any(qi in active for qi in here):
                continue  # a page of questions the pool left out: the runtime skips it
            sent = [{"index": qi, "response": self.response(qi)} for qi in here if qi in active]
            if sent:
                resp = self.check("grade", await self.request(
                    "grade", "POST", f"{api}/grade", headers=auth,
                    json={"answers": sent, "modules": modules}), 200)
                for item in sent:
                    self.results.acked[self.user][item["index"]] = item["response"]
                    answers[item["index"]] = _state_answer(data["questions"][item["index"]],
                                                           item["response"])
                if any(self.course.questions[a["index"]]["graded"] for a in sent):
                    self.results.last_score[self.user] = resp.json()["score"]
                sub[pi] = 1
            seen[pi] = 1
            state = json.dumps({"v": 1, "p": pi, "s": encode_bits(seen), "e": encode_bits(sub),
                                "t": int(time.time() - started), "a": answers, "m": modules,
                                "c": 0, "n": "", "d": ""}, separators=(",", ":"))
            resp = self.check("state", await self.request(
                "state", "POST", f"{api}/state", headers=auth,
                json={"state": state, "location": page["id"]}), 200)
            self.results.completed[self.user] = resp.json()["completed"]

    def response(self, qi: int) -> Any:
        """What this learner answers: right with probability ``skill``, else a wrong answer."""
        q = self.course.questions[qi]
        model = self.questions[q["id"]]
        right = self.rng.random() < self.skill
        if q["type"] == "text":
            if model.is_free_text or not model.answers:
                return f"Comment from {self.user}."
            return model.answers[0] if right else "certainly not the answer"
        if q["type"] == "likert":
            return self.rng.randrange(len(q["labels"]))
        wrong = [i for i in range(len(q["labels"])) if i not in model.correct_indexes]
        picks = list(model.correct_indexes) if right or not wrong else wrong[:1]
        return sorted(picks) if q["type"] == "multiple" else picks[0]


def _state_answer(q: dict[str, Any], response: Any) -> Any:
    """A response as core.js writes it into the saved state."""
    if q["type"] == "text":
        return response
    if q["type"] == "multiple":
        return base36(sum(2 ** c for c in response))
    return base36(response)


def new_client(concurrency: int) -> httpx.AsyncClient:
    # Cookies are each learner's own (Learner.cookies): the shared client keeps none.
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        cookies=httpx.Cookies(jar), follow_redirects=False, timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=concurrency * 2,
                            max_keepalive_connections=concurrency * 2))


async def run_load(router: Router, platform: Platform, course: Course,
                   questions: dict[str, Question], concurrency: int, duration: float,
                   prefix: str, results: Results | None = None) -> Results:
    """``concurrency`` learners doing sessions back to back for ``duration`` seconds."""
    results = results or Results()
    stop_at = time.time() + duration

    async def learner(n: int, http: httpx.AsyncClient) -> None:
        for k in count():
            if time.time() >= stop_at:
                return
            user = f"{prefix}-{n}-{k}"
            try:
                await Learner(http, router, platform, course, questions, results,
                              user).session()
            except Failed as exc:
                key = f"{exc.step} {exc.status}"
                (results.clean_failures if exc.clean else results.errors)[key] += 1
                if not exc.clean:
                    results.error(key, str(exc))
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                results.error(type(exc).__name__, f"{user}: {exc!r}")

    start = time.perf_counter()
    async with new_client(concurrency) as http:
        await asyncio.gather(*(learner(n, http) for n in range(concurrency)))
    results.wall = time.perf_counter() - start
    return results


def table(rows: list[tuple[int, Results]], ags: dict[int, tuple[float, float, float]]
          ) -> str:
    """Markdown: per concurrency, sessions/s and errors, and p50/p95/p99 ms per step."""
    head = "| learners | sessions | sessions/s | errors | " + " | ".join(
        f"{s} p50/95/99 ms" for s in (*STEPS, "ags")) + " |"
    lines = [head, "|" + "---:|" * (5 + len(STEPS))]
    for n, res in rows:
        cells = [f"{'/'.join(f'{v * 1000:.0f}' for v in res.percentiles(s))}" for s in STEPS]
        a = ags.get(n)
        cells.append("/".join(f"{v * 1000:.0f}" for v in a) if a else "-")
        lines.append(f"| {n} | {res.sessions} | {res.sessions / res.wall:.1f} | "
                     f"{sum(res.errors.values())} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_async(coro: Any) -> Any:
    """asyncio.run in a thread of its own: the test session's sync Playwright keeps an event
    loop running on the main thread, where asyncio.run refuses to start."""
    import threading

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="scale-load")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
