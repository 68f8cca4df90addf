"""The cmi5 rules (spec sections 9 and 10) a registration's statements must follow."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tests.cmi5.lms import CMI5, SESSION_EXT, Launch

VERBS = "http://adlnet.gov/expapi/verbs/"
DEFINED = {VERBS + v for v in ("launched", "initialized", "completed", "passed", "failed",
                               "terminated")} | {"https://w3id.org/xapi/adl/verbs/" + v
                                                 for v in ("abandoned", "waived", "satisfied")}
CAT_CMI5 = CMI5 + "context/categories/cmi5"
CAT_MOVEON = CMI5 + "context/categories/moveon"
PROGRESS = CMI5 + "result/extensions/progress"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def verb(st: dict[str, Any]) -> str:
    """The verb's last path segment: "initialized", "answered", ..."""
    return st["verb"]["id"].rsplit("/", 1)[1]


def seconds(duration: str) -> float:
    """An ISO 8601 duration as seconds; ValueError when it is not one."""
    m = _DURATION.match(duration or "")
    if not m or duration in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration: {duration!r}")
    d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def when(st: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(st["timestamp"].replace("Z", "+00:00"))


def categories(st: dict[str, Any]) -> set[str]:
    cats = st.get("context", {}).get("contextActivities", {}).get("category", [])
    return {c["id"] for c in cats}


def session_of(st: dict[str, Any]) -> str | None:
    return st.get("context", {}).get("extensions", {}).get(SESSION_EXT)


def check_statement(st: dict[str, Any], launch: Launch) -> list[str]:
    """Rules every statement the AU sends must follow on its own."""
    out: list[str] = []
    v = verb(st)
    where = f"{v} {st.get('id')}"
    ctx = st.get("context", {})
    if ctx.get("registration") != launch.registration:
        out.append(f"{where}: context.registration is not the launch's")
    grouping = {a["id"] for a in ctx.get("contextActivities", {}).get("grouping", [])}
    if launch.publisher_id not in grouping:
        out.append(f"{where}: the context template's publisher id grouping is missing")
    if st.get("actor") != launch.actor:
        out.append(f"{where}: actor is not the launch's actor")
    stamp = st.get("timestamp", "")
    if not (stamp.endswith("Z") or stamp.endswith("+00:00")):
        out.append(f"{where}: timestamp {stamp!r} is not UTC")
    result = st.get("result", {})
    cats = categories(st)
    defined = st["verb"]["id"] in DEFINED
    if defined:
        if CAT_CMI5 not in cats:
            out.append(f"{where}: a cmi5 defined statement without the cmi5 category")
        if st["object"].get("id") != launch.activity_id or \
                st["object"].get("objectType") != "Activity":
            out.append(f"{where}: object must be the launch's activityId as an Activity")
        has_judgement = "success" in result or "completion" in result
        if has_judgement != (CAT_MOVEON in cats):
            out.append(f"{where}: moveon category iff result.success/completion")
        if "score" in result and v not in ("passed", "failed"):
            out.append(f"{where}: only passed and failed may carry a score")
        if "success" in result and v not in ("passed", "failed"):
            out.append(f"{where}: only passed and failed may carry result.success")
        if "completion" in result and v != "completed":
            out.append(f"{where}: only completed may carry result.completion")
    else:
        if CAT_CMI5 in cats or CAT_MOVEON in cats:
            out.append(f"{where}: a cmi5 allowed statement must not use the cmi5/moveon category")
    expect = {"completed": ("completion", True), "passed": ("success", True),
              "failed": ("success", False)}
    if v in expect and result.get(expect[v][0]) is not expect[v][1]:
        out.append(f"{where}: result.{expect[v][0]} must be {expect[v][1]}")
    if v in ("completed", "passed", "failed", "terminated"):
        try:
            seconds(result.get("duration", ""))
        except ValueError as err:
            out.append(f"{where}: {err}")
    mastery = launch.launch_data.get("masteryScore")
    scaled = result.get("score", {}).get("scaled")
    if scaled is not None and mastery is not None:
        if v == "passed" and scaled < mastery:
            out.append(f"{where}: passed with scaled score {scaled} < masteryScore {mastery}")
        if v == "failed" and scaled >= mastery:
            out.append(f"{where}: failed with scaled score {scaled} >= masteryScore {mastery}")
    if v == "answered":
        definition = st["object"].get("definition", {})
        if definition.get("type") != INTERACTION or "interactionType" not in definition:
            out.append(f"{where}: answered needs a cmi.interaction with an interactionType")
        if "response" not in result:
            out.append(f"{where}: answered needs result.response")
    if v == "progressed":
        value = result.get("extensions", {}).get(PROGRESS)
        if not isinstance(value, int) or not 0 <= value <= 100:
            out.append(f"{where}: progress must be an integer 0..100, not {value!r}")
    return out


def problems(statements: list[dict[str, Any]], launches: list[Launch],
             finished: bool = True) -> list[str]:
    """Every rule the statements of one registration break, in the LRS's stored order.

    ``launches`` are the registration's launches in order; ``finished``: every session must
    have ended with Terminated.
    """
    out: list[str] = []
    by_session: dict[str, list[dict[str, Any]]] = {}
    for st in statements:
        by_session.setdefault(session_of(st) or "?", []).append(st)
    unknown = set(by_session) - {la.session_id for la in launches}
    if unknown:
        out.append(f"statements with unknown session ids: {sorted(unknown)}")
    seen_passed = seen_completed = False
    for launch in launches:
        sts = by_session.get(launch.session_id, [])
        names = [verb(s) for s in sts]
        where = f"session {launch.session_id[:8]}"
        if not names or names[0] != "launched":
            out.append(f"{where}: does not start with the LMS's launched: {names}")
            continue
        au = sts[1:]
        au_names = names[1:]
        if not au_names or au_names[0] != "initialized":
            out.append(f"{where}: the AU's first statement is not initialized: {au_names}")
        if au_names.count("initialized") > 1:
            out.append(f"{where}: initialized sent {au_names.count('initialized')} times")
        if "terminated" in au_names:
            if au_names.count("terminated") > 1 or au_names[-1] != "terminated":
                out.append(f"{where}: statements after terminated: {au_names}")
            init = next((s for s in au if verb(s) == "initialized"), None)
            term = next(s for s in au if verb(s) == "terminated")
            if init is not None:
                span = (when(term) - when(init)).total_seconds()
                took = seconds(term.get("result", {}).get("duration", "PT0S"))
                if abs(took - span) > 3:
                    out.append(f"{where}: terminated duration {took:.1f}s but initialized to "
                               f"terminated took {span:.1f}s")
        elif finished:
            out.append(f"{where}: no terminated: {au_names}")
        stamps = [when(s) for s in sts]
        if stamps != sorted(stamps):
            out.append(f"{where}: timestamps out of order: {names}")
        mode = launch.launch_data.get("launchMode", "Normal")
        for st in au:
            out += [f"{where}: {p}" for p in check_statement(st, launch)]
            v = verb(st)
            if mode != "Normal" and st["verb"]["id"] in DEFINED and \
                    v not in ("initialized", "terminated"):
                out.append(f"{where}: {v} sent in {mode} mode")
            if v == "completed":
                if seen_completed:
                    out.append(f"{where}: a second completed in the registration")
                seen_completed = True
            elif v == "passed":
                if seen_passed:
                    out.append(f"{where}: a second passed in the registration")
                seen_passed = True
            elif v == "failed" and seen_passed:
                out.append(f"{where}: failed after passed")
            elif v == "progressed" and seen_completed:
                out.append(f"{where}: progressed after completed")
    return out
