"""Assignment and Grade Services: a durable outbox of scores, sent by a background thread.

A score is written to the outbox in the same transaction as the answers that earned it, so
it survives an LMS outage and a server restart; the sender retries with exponential backoff.
Rows are claimed with a lease, so several server processes never send the same row at once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from packager.lti.keys import SigningKey
from packager.lti.registration import AGS_SCOPES, Platforms
from packager.lti.store import OutboxItem, Progress

log = logging.getLogger("packager.lti.ags")
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LEASE = 60.0


class DeliveryError(Exception):
    """The platform did not take a score (network, auth or HTTP error): retried later."""


def scores_url(lineitem: str) -> str:
    """The line item URL with /scores appended to its path (query string kept)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


@dataclass
class Stats:
    """Figures for operators and tests."""

    sent: int = 0  # score posts attempted
    failed: int = 0  # posts the platform did not take
    retried: int = 0  # failed rows scheduled again (the rest were superseded meanwhile)
    delivered: int = 0


class Outbox:
    """Enqueue scores; a thread delivers them with backoff."""

    def __init__(self, sessions: sessionmaker[Session], platforms: Platforms,
                 signing_key: Callable[[], SigningKey], *, interval: float = 1.0,
                 backoff: float = 2.0, backoff_max: float = 600.0,
                 max_tries: int = 1000, http: requests.Session | None = None) -> None:
        self._sessions = sessions
        self._platforms = platforms
        self._signing_key = signing_key
        self.interval, self.backoff, self.backoff_max = interval, backoff, backoff_max
        self.max_tries = max_tries
        self._http = http or requests.Session()
        self._tokens: dict[tuple[str, str], tuple[float, str]] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = Stats()

    # ---- producer side ----
    @staticmethod
    def enqueue(db: Session, progress: Progress, claims: dict[str, Any],
                payload: dict[str, Any], label: str = "") -> OutboxItem | None:
        """Add a score in the caller's transaction (None when the launch has no AGS)."""
        endpoint = claims.get("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint") or {}
        lineitem = progress.lineitem or endpoint.get("lineitem")
        if not lineitem and not endpoint.get("lineitems"):
            return None
        # Each score is the learner's whole current result, so a newer one replaces any still
        # waiting: nothing stale can arrive after it, and an outage does not pile up sends.
        db.execute(update(OutboxItem).where(OutboxItem.progress_id == progress.id,
                                            OutboxItem.status == "pending")
                   .values(status="superseded"))
        item = OutboxItem(progress_id=progress.id, issuer=progress.issuer,
                          client_id=progress.client_id, lineitem=lineitem,
                          lineitems=endpoint.get("lineitems"), payload=payload,
                          label=label[:255])
        db.add(item)
        return item

    def wake(self) -> None:
        self._wake.set()

    # ---- sender side ----
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lti-outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                while self.deliver_due() and not self._stop.is_set():
                    pass
            except Exception:  # a bug here must not kill the thread; it is logged in full
                log.exception("outbox pass failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def deliver_due(self) -> int:
        """Claim and send every row that is due; returns how many were attempted."""
        now = time.time()
        with self._sessions() as db:
            ids = db.scalars(select(OutboxItem.id).where(
                OutboxItem.status == "pending", OutboxItem.next_at <= now,
                OutboxItem.claimed_until < now).order_by(OutboxItem.id).limit(20)).all()
        done = 0
        for item_id in ids:
            if self._claim(item_id):
                self._send(item_id)
                done += 1
        return done

    def _claim(self, item_id: int) -> bool:
        now = time.time()
        with self._sessions() as db, db.begin():
            res = db.execute(update(OutboxItem).where(
                OutboxItem.id == item_id, OutboxItem.status == "pending",
                OutboxItem.claimed_until < now).values(claimed_until=now + LEASE))
            return res.rowcount == 1

    def _send(self, item_id: int) -> None:
        with self._sessions() as db:
            item = db.get(OutboxItem, item_id)
            assert item is not None
        error = None
        try:
            lineitem = item.lineitem or self._create_lineitem(item)
            self.stats.sent += 1
            self._request(item, "post", scores_url(lineitem), item.payload, SCORE_TYPE)
        except DeliveryError as exc:
            error = str(exc)
        with self._sessions() as db, db.begin():
            row = db.get(OutboxItem, item_id)
            assert row is not None
            row.tries += 1
            row.claimed_until = 0
            if error is None:
                # Delivered even if superseded meanwhile: the newer row follows it.
                row.status, row.delivered, row.last_error = "delivered", time.time(), None
                self.stats.delivered += 1
            else:
                self.stats.failed += 1
                row.last_error = error[:1000]
            if error is not None and row.status == "pending":
                self.stats.retried += 1
                delay = min(self.backoff_max, self.backoff * 2 ** min(row.tries - 1, 20))
                row.next_at = time.time() + delay
                if row.tries >= self.max_tries:
                    row.status = "dead"
                log.warning("score %s not delivered (try %s): %s", item_id, row.tries, error)

    def _create_lineitem(self, item: OutboxItem) -> str:
        """No line item in the launch: find or create the link's one column and remember it.

        One column per placed link (shared by its learners), never one per learner: reuse
        what another learner's score found, else ask the platform (AGS filters by
        resource_link_id and tag), else create it.
        """
        with self._sessions() as db:
            progress = db.get(Progress, item.progress_id)
            assert progress is not None
            link = (Progress.issuer == progress.issuer, Progress.client_id == progress.client_id,
                    Progress.deployment_id == progress.deployment_id,
                    Progress.context_id == progress.context_id,
                    Progress.resource_link_id == progress.resource_link_id,
                    Progress.document == progress.document)
            lineitem = db.scalar(select(Progress.lineitem).where(
                *link, Progress.lineitem.is_not(None)).limit(1))
        if not lineitem:
            lineitem = self._existing_lineitem(item, progress) or self._new_lineitem(item,
                                                                                     progress)
        with self._sessions() as db, db.begin():
            db.execute(update(Progress).where(*link).values(lineitem=lineitem))
            db.execute(update(OutboxItem).where(OutboxItem.id == item.id)
                       .values(lineitem=lineitem))
        return lineitem

    def _existing_lineitem(self, item: OutboxItem, progress: Progress) -> str | None:
        parts = urlsplit(item.lineitems or "")
        query = urlencode({"resource_link_id": progress.resource_link_id,
                           "tag": progress.document})
        url = urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query
                                        else query))
        found = self._request(item, "get", url, None, LINEITEMS_TYPE).json()
        for entry in found if isinstance(found, list) else []:
            if entry.get("resourceLinkId") == progress.resource_link_id and \
                    entry.get("tag") == progress.document and entry.get("id"):
                return str(entry["id"])
        return None

    def _new_lineitem(self, item: OutboxItem, progress: Progress) -> str:
        body = {"scoreMaximum": 100, "label": item.label or progress.course_id,
                "resourceLinkId": progress.resource_link_id, "tag": progress.document}
        answer = self._request(item, "post", item.lineitems or "", body, LINEITEM_TYPE).json()
        if not answer.get("id"):
            raise DeliveryError("the platform created a line item without an id")
        return str(answer["id"])

    def _request(self, item: OutboxItem, method: str, url: str, body: dict[str, Any] | None,
                 content_type: str) -> requests.Response:
        token = self._token(item.issuer, item.client_id)
        headers = {"Authorization": f"Bearer {token}"}
        if body is None:
            headers["Accept"] = content_type
        else:
            headers["Content-Type"] = content_type
        try:
            resp = self._http.request(method, url, json=body, timeout=15, headers=headers)
        except requests.RequestException as exc:
            raise DeliveryError(f"{url}: {exc}") from exc
        if resp.status_code == 401:
            self._tokens.pop((item.issuer, item.client_id), None)
        if resp.status_code >= 300:
            raise DeliveryError(f"{url}: HTTP {resp.status_code}")
        return resp

    def _token(self, issuer: str, client_id: str) -> str:
        """An OAuth2 access token (client_credentials with a signed JWT assertion), cached."""
        cached = self._tokens.get((issuer, client_id))
        if cached and cached[0] > time.time() + 30:
            return cached[1]
        conf = self._platforms.find_conf(issuer, client_id)
        if conf is None:
            raise DeliveryError(f"platform {issuer} / {client_id} is no longer registered")
        key = self._signing_key()
        now = int(time.time())
        assertion = jwt.encode({
            "iss": client_id, "sub": client_id,
            "aud": conf.get("auth_audience") or conf["auth_token_url"],
            "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex,
        }, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
        try:
            resp = self._http.post(conf["auth_token_url"], timeout=15, data={
                "grant_type": "client_credentials",
                "client_assertion_type":
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion, "scope": " ".join(AGS_SCOPES)})
            resp.raise_for_status()
            answer = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise DeliveryError(f"token endpoint: {exc}") from exc
        token = answer.get("access_token")
        if not token:
            raise DeliveryError("token endpoint gave no access_token")
        self._tokens[(issuer, client_id)] = (time.time() + int(answer.get("expires_in", 3600)),
                                             token)
        return token

    def counts(self) -> dict[str, int]:
        """Rows by status, from the database (survives restarts, unlike ``stats``)."""
        with self._sessions() as db:
            rows = db.scalars(select(OutboxItem)).all()
            out = {"pending": 0, "delivered": 0, "superseded": 0, "dead": 0, "tries": 0}
            for row in rows:
                out[row.status] = out.get(row.status, 0) + 1
                out["tries"] += row.tries
            return out
