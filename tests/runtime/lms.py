"""A scorm-again LMS in headless Chromium: stage a package, run sessions, keep the CMI data."""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packager import api
from packager.loader import load_course
from packager.model import Course, Question
from tests.conftest import ROOT, unzip
from tests.coursekit import picks

HARNESS = ROOT / "tests" / "browser" / "lms.html"
SCORM_AGAIN = ROOT / "node_modules" / "scorm-again" / "dist" / "scorm-again.min.js"
FINISH = {"1.2": "LMSFinish", "2004": "Terminate"}
READY = """() => {
  const f = document.getElementById('sco');
  const d = f && f.contentDocument;
  return !!d && !!d.documentElement &&
    d.documentElement.getAttribute('data-packager-ready') === '1';
}"""


def build(course_dir: Path, target: str, out: Path, **options: Any) -> Path:
    """Build one package with the library API (what the CLI calls)."""
    (artifact,) = api.build(course_dir, [target], out, options=options)
    return artifact.path


def stage(package: Path, folder: Path) -> Path:
    """A folder an HTTP server can serve: the harness, scorm-again and the package in pkg/."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(HARNESS, folder / "lms.html")
    shutil.copy(SCORM_AGAIN, folder / "scorm-again.js")
    unzip(package, folder / "pkg")
    return folder


def carry_over(cmi: dict[str, Any], version: str) -> dict[str, Any]:
    """What an LMS hands the next session: the data it kept, with entry set from the exit."""
    cmi = copy.deepcopy(cmi)
    core = cmi["core"] if version == "1.2" else cmi
    left = core.pop("exit", "")
    core.pop("session_time", None)
    core.pop("total_time", None)
    if version == "1.2":
        core["entry"] = "resume" if left == "suspend" else ""
    else:
        core["entry"] = "resume" if left == "suspend" else "ab-initio"
    return cmi


def dig(data: dict[str, Any], path: str) -> Any:
    """cmi JSON by dotted path, e.g. dig(cmi, "core.score.raw")."""
    for part in path.split("."):
        data = data[part]
    return data


@dataclass
class Session:
    """One launch of the SCO under the harness page."""

    page: Any
    version: str
    console: list[str] = field(default_factory=list)  # errors from the course's frame
    lms_console: list[str] = field(default_factory=list)  # errors scorm-again logged
    window: Any = None  # the SCO's own window, when launched as a popup

    @property
    def ui(self) -> Any:
        """The course document, for role- and CSS-based locators."""
        return self.window if self.window is not None else self.page.frame_locator("#sco")

    @property
    def frame(self) -> Any:
        if self.window is not None:
            return self.window.main_frame
        return self.page.main_frame.child_frames[0]

    def log(self) -> list[dict[str, Any]]:
        return self.page.evaluate("lmsLog")

    def api_errors(self) -> list[dict[str, Any]]:
        return self.page.evaluate("lmsErrors")

    def cmi(self) -> dict[str, Any]:
        return self.page.evaluate("cmiData()")

    def sets(self, element: str) -> list[str]:
        """Every value the SCO wrote to one element, in order."""
        name = "LMSSetValue" if self.version == "1.2" else "SetValue"
        return [e["args"][1] for e in self.log() if e["call"] == name and e["args"][0] == element]

    def leave(self) -> dict[str, Any]:
        """Unload the SCO (the learner leaves); returns the CMI data the LMS keeps."""
        self.page.evaluate("closeSCO()")
        self.page.wait_for_function(f"() => calls('{FINISH[self.version]}').length > 0")
        return self.cmi()

    def finished_cleanly(self) -> None:
        """Exactly one Finish/Terminate, nothing after it, and never an API error."""
        log = self.log()
        starts = [e for e in log if e["call"] in ("LMSInitialize", "Initialize")]
        assert len(starts) == 1, f"{len(starts)} initialisations"
        ends = [i for i, e in enumerate(log) if e["call"] == FINISH[self.version]]
        assert len(ends) == 1, f"{len(ends)} {FINISH[self.version]} calls"
        assert ends[0] == len(log) - 1, f"API calls after finishing: {log[ends[0] + 1:]}"
        self.assert_clean()

    def assert_clean(self) -> None:
        assert self.api_errors() == []
        assert self.lms_console == []
        assert self.console == []


class LMS:
    """Opens sessions of one staged package in one browser; a new page per session."""

    def __init__(self, browser: Any, base_url: str, version: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.version = version
        self.pages: list[Any] = []

    def launch(self, cmi: dict[str, Any] | None = None, query: str = "",
               clock: bool = False, activity_tree: dict[str, Any] | None = None,
               popup: bool = False) -> Session:
        page = self.browser.new_page(viewport={"width": 1100, "height": 1000})
        self.pages.append(page)
        session = Session(page, self.version)

        def on_console(message: Any) -> None:
            if message.type != "error":
                return
            harness = message.location.get("url", "").split("?")[0].endswith(
                ("/lms.html", "/scorm-again.js"))
            (session.lms_console if harness else session.console).append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda e: session.console.append(f"uncaught: {e}"))
        if clock:
            page.clock.install()
        page.goto(self.base_url + "lms.html")
        start = "([v, cmi, launch, tree, popup]) => startLMS(v, cmi, launch, tree, popup)"
        args = [self.version, cmi, "pkg/index.html" + query, activity_tree, popup]
        if not popup:
            page.evaluate(start, args)
            page.wait_for_function(READY)
            return session
        with page.expect_popup() as opened:
            page.evaluate(start, args)
        session.window = opened.value
        session.window.on("console", on_console)
        session.window.on("pageerror", lambda e: session.console.append(f"uncaught: {e}"))
        session.window.wait_for_function(
            "() => document.documentElement.getAttribute('data-packager-ready') === '1'")
        return session

    def resume(self, cmi: dict[str, Any], query: str = "", clock: bool = False) -> Session:
        return self.launch(carry_over(cmi, self.version), query, clock)

    def close(self) -> None:
        for page in self.pages:
            page.close()


# ---- driving the course the way a learner does ------------------------------------------

def questions_by_id(course_dir: Path) -> dict[str, Question]:
    course, _ = load_course(course_dir)
    assert course is not None
    return {q.id: q for q in course.questions}


def load(course_dir: Path) -> Course:
    course, _ = load_course(course_dir)
    assert course is not None
    return course


def answer(fieldset: Any, q: Question, correct: bool) -> None:
    """Fill one question: with an accepted answer, or with a wrong one."""
    if q.type == "text":
        if q.is_free_text:
            text = "A thoughtful comment."
        else:
            text = q.answers[0] if correct else "certainly not the answer"
        fieldset.locator("input[type=text]").fill(text)
        return
    for i in picks(q, correct):
        fieldset.locator(f"input[value='{i}']").check()


def current(ui: Any) -> Any:
    return ui.locator("section.page:not([hidden])")


# The SCO's last page ("Page n of n"): Next may still be enabled there, to ask the LMS for
# the next SCO.
LAST = """() => {
  const m = /Page (\\d+) of (\\d+)/.exec(document.querySelector(".page-count").textContent);
  return m[1] === m[2];
}"""
PAGE_INFO = """sec => ({
  id: sec.id,
  todo: Array.from(sec.querySelectorAll("fieldset.question:not([hidden])"))
    .filter(fs => !fs.querySelector("input").disabled).map(fs => fs.id.slice(2)),
  last: (""" + LAST + """)(),
})"""


def page_info(ui: Any) -> dict[str, Any]:
    """The shown page in one round trip: its id, its open questions, whether it is the last."""
    return current(ui).evaluate(PAGE_INFO)


def answer_page(ui: Any, questions: dict[str, Question], correct: bool) -> bool:
    """Answer and submit the questions on the shown page; False when there was nothing to do."""
    todo = page_info(ui)["todo"]
    page = current(ui)
    for qid in todo:  # answered questions are final for the attempt: skipped
        answer(page.locator(f"#q-{qid}"), questions[qid], correct)
    if todo:
        page.locator("button.submit").click()
    return bool(todo)


def walk(ui: Any, questions: dict[str, Question], correct: bool = True,
         skip_modules: tuple[str, ...] = ()) -> None:
    """From the shown page to the last: answer every question, submit, press Next."""
    while True:
        info = page_info(ui)
        if not any(info["id"].startswith(f"page-{m}-") for m in skip_modules):
            answer_page(ui, questions, correct)
        if info["last"]:
            return
        ui.locator("button.nav-next").click()
        assert page_info(ui)["id"] != info["id"]


FAST_WALK = """([plan, skip, until]) => {
  const next = document.querySelector("button.nav-next");
  for (let guard = 0; guard < 2000; guard++) {
    const page = document.querySelector("section.page:not([hidden])");
    if (until && page.id.startsWith(until)) return guard;
    const open = skip.some(m => page.id.startsWith("page-" + m + "-")) ? [] :
      Array.from(page.querySelectorAll("fieldset.question:not([hidden])"))
        .filter(fs => !fs.querySelector("input").disabled);
    for (const fs of open) {
      const todo = plan[fs.id.slice(2)];
      if (typeof todo === "string") fs.querySelector("input[type=text]").value = todo;
      else todo.forEach(i => { fs.querySelector("input[value='" + i + "']").checked = true; });
    }
    if (open.length) page.querySelector("button.submit").click();
    if ((""" + LAST + """)()) return guard + 1;
    next.click();
  }
  throw new Error("the course never ended");
}"""


def plan(questions: dict[str, Question], correct: bool) -> dict[str, Any]:
    """What answer() would enter for every question: text, or the choice indexes to tick."""
    out: dict[str, Any] = {}
    for qid, q in questions.items():
        if q.type == "text":
            out[qid] = ("A thoughtful comment." if q.is_free_text else
                        q.answers[0] if correct else "certainly not the answer")
        elif q.type == "likert":
            out[qid] = [len(q.scale) - 1]
        elif correct:
            out[qid] = list(q.correct_indexes)
        else:
            out[qid] = [i for i in range(len(q.choice_labels)) if i not in q.correct_indexes][:1]
    return out


def walk_fast(frame: Any, questions: dict[str, Question], correct: bool = True,
              skip_modules: tuple[str, ...] = (), until_module: str | None = None) -> int:
    """walk() in one round trip: the same answers, entered and submitted in the page itself
    (the page's own handlers run); for long courses. Stops at the end, or on reaching
    ``until_module``'s first page (unanswered). Returns the number of pages left behind."""
    until = f"page-{until_module}-" if until_module else None
    return frame.evaluate(FAST_WALK, [plan(questions, correct), list(skip_modules), until])
