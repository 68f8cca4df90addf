"""The cmi5 rule checker itself: a conformant session passes, each planted breach is named."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.cmi5.lms import SESSION_EXT, Launch
from tests.cmi5.rules import CAT_CMI5, CAT_MOVEON, INTERACTION, PROGRESS, problems, seconds

AU = "http://lms.example/activities/au1"
PUBLISHER = "https://packager.example/courses/basic/au"
ACTOR = {"objectType": "Agent", "name": "Pat", "account": {"homePage": "http://lms.example/",
                                                           "name": "p"}}


def launch(session: str = "s-1", mode: str = "Normal") -> Launch:
    template = {"contextActivities": {"grouping": [{"id": PUBLISHER}]},
                "extensions": {SESSION_EXT: session}}
    return Launch(url="", registration="r-1", session_id=session, activity_id=AU,
                  publisher_id=PUBLISHER, actor=ACTOR, token="t", fetch_id="f",
                  launch_data={"contextTemplate": template, "launchMode": mode,
                               "masteryScore": 0.8})


def st(verb: str, at: int, session: str = "s-1", result: dict[str, Any] | None = None,
       cats: tuple[str, ...] = (CAT_CMI5,), obj: dict[str, Any] | None = None) -> dict[str, Any]:
    stamp = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=at)).isoformat()
    out = {
        "id": f"{verb}-{at}", "actor": ACTOR, "timestamp": stamp.replace("+00:00", "Z"),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/" + verb},
        "object": obj or {"id": AU, "objectType": "Activity"},
        "context": {"registration": "r-1", "extensions": {SESSION_EXT: session},
                    "contextActivities": {"grouping": [{"id": PUBLISHER}],
                                          "category": [{"id": c} for c in cats]}},
    }
    if result is not None:
        out["result"] = result
    return out


def good() -> list[dict[str, Any]]:
    question = {"id": "https://packager.example/q/1", "objectType": "Activity",
                "definition": {"type": INTERACTION, "interactionType": "choice"}}
    return [
        st("launched", 0),
        st("initialized", 1),
        st("progressed", 2, cats=(), result={"extensions": {PROGRESS: 50}}),
        st("answered", 3, cats=(), obj=question, result={"response": "C1", "success": True}),
        st("passed", 4, cats=(CAT_CMI5, CAT_MOVEON),
           result={"success": True, "score": {"scaled": 0.9}, "duration": "PT4S"}),
        st("completed", 5, cats=(CAT_CMI5, CAT_MOVEON),
           result={"completion": True, "duration": "PT5S"}),
        st("terminated", 6, result={"duration": "PT5S"}),
    ]


def test_a_conformant_session_has_no_problems():
    assert problems(good(), [launch()]) == []


def test_durations_parse():
    assert seconds("PT1H2M3.5S") == 3723.5 and seconds("PT0.25S") == 0.25
    for bad in ("", "P", "PT", "1S", "PTS"):
        with pytest.raises(ValueError):
            seconds(bad)


def _with(change) -> list[str]:
    sts = copy.deepcopy(good())
    change(sts)
    return problems(sts, [launch()])


@pytest.mark.parametrize("change, expected", [
    (lambda s: s.append(st("answered", 7, cats=())), "statements after terminated"),
    (lambda s: s.pop(), "no terminated"),
    (lambda s: s.pop(1), "first statement is not initialized"),
    (lambda s: s.insert(2, st("initialized", 1)), "initialized sent 2 times"),
    (lambda s: s[1]["context"]["contextActivities"].update(category=[]), "without the cmi5"),
    (lambda s: s[2]["context"]["contextActivities"].update(category=[{"id": CAT_CMI5}]),
     "allowed statement must not"),
    (lambda s: s[5]["context"]["contextActivities"].update(category=[{"id": CAT_CMI5}]),
     "moveon category iff"),
    (lambda s: s[5]["result"].update(score={"scaled": 1}), "only passed and failed"),
    (lambda s: s[4]["result"].update(score={"scaled": 0.5}), "masteryScore"),
    (lambda s: s[4]["result"].pop("duration"), "not an ISO 8601 duration"),
    (lambda s: s[6]["result"].update(duration="PT60S"), "terminated duration"),
    (lambda s: s.insert(6, st("failed", 5, cats=(CAT_CMI5, CAT_MOVEON),
                               result={"success": False, "duration": "PT5S"})),
     "failed after passed"),
    (lambda s: s.insert(6, st("passed", 5, cats=(CAT_CMI5, CAT_MOVEON),
                               result={"success": True, "duration": "PT5S"})),
     "a second passed"),
    (lambda s: s.insert(6, st("progressed", 5, cats=(), result={"extensions": {PROGRESS: 90}})),
     "progressed after completed"),
    (lambda s: s[3]["context"].update(registration="r-2"), "registration is not the launch's"),
    (lambda s: s[3]["context"]["contextActivities"].update(grouping=[]), "publisher id"),
    (lambda s: s[3]["context"]["extensions"].update({SESSION_EXT: "s-9"}), "unknown session"),
    (lambda s: s[4].update(object={"id": "http://elsewhere", "objectType": "Activity"}),
     "object must be the launch's activityId"),
    (lambda s: s[3]["object"]["definition"].pop("interactionType"), "interactionType"),
    (lambda s: s[2]["result"]["extensions"].update({PROGRESS: 101}), "integer 0..100"),
    (lambda s: s[2].update(timestamp="2026-01-01T00:00:02+02:00"), "not UTC"),
    (lambda s: s.reverse(), "does not start with the LMS's launched"),
])
def test_each_breach_is_named(change, expected):
    found = _with(change)
    assert any(expected in p for p in found), found


def test_browse_mode_allows_only_initialized_and_terminated():
    sts = good()
    assert any("completed sent in Browse mode" in p for p in problems(sts, [launch(mode="Browse")]))
    quiet = [s for s in sts if s["verb"]["id"].rsplit("/", 1)[1]
             in ("launched", "initialized", "terminated")]
    quiet[-1]["result"]["duration"] = "PT5S"
    assert problems(quiet, [launch(mode="Browse")]) == []


def test_sessions_are_checked_one_by_one():
    first, second = launch("s-1"), launch("s-2")
    again = [st("launched", 10, "s-2"), st("initialized", 11, "s-2"),
             st("terminated", 12, "s-2", result={"duration": "PT1S"})]
    assert problems(good() + again, [first, second]) == []
    repeat = [*again[:2], st("completed", 11, "s-2", cats=(CAT_CMI5, CAT_MOVEON),
                             result={"completion": True, "duration": "PT1S"}), again[2]]
    assert any("a second completed" in p for p in problems(good() + repeat, [first, second]))
