"""Parsing modules in forked processes gives exactly what parsing them here gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.coursekit import write_course

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter: pytest's own threads would (rightly) stop the loader forking.
PROBE = """
import json, os, sys
from packager import loader
from packager.forked import usable_cores

forks = 0
real_fork = os.fork
def counting_fork():
    global forks
    forks += 1
    return real_fork()
os.fork = counting_fork

path = sys.argv[1]
alone = loader.load_course(path, jobs=1)
assert forks == 0
same = all(loader.load_course(path, jobs=n) == alone for n in (2, 3, 8))
forced = forks
loader.PARALLEL_MIN_BYTES = 1  # the automatic choice, as for a big course
same = same and loader.load_course(path) == alone
print(json.dumps({"same": same, "forks": forced, "auto_forks": forks - forced,
                  "cores": usable_cores(), "modules": len(alone[0].modules) if alone[0] else 0,
                  "diagnostics": [d.format() for d in alone[1]]}))
"""


def probe(course: Path) -> dict:
    run = subprocess.run([sys.executable, "-c", PROBE, str(course)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize("course", ["courses/ethics-mh", "tests/roots/basic",
                                    "tests/roots/planted"])
def test_forked_parse_equals_parse_here(course):
    result = probe(ROOT / course)
    assert result["same"]
    assert result["forks"] > 0
    assert result["auto_forks"] > 0 or result["cores"] == 1
    if course.endswith("planted"):
        assert sum(": error:" in d for d in result["diagnostics"]) == 10


QUIZ = """\
---
title: M{n}
---

# Page

```quiz
id: {qid}
type: true-false
prompt: Is this module {n}?
answer: true
```
"""


def test_duplicate_ids_are_found_across_processes(tmp_path):
    # q1 in modules 1, 3 and 4, each parsed by a different process with jobs=3 or more:
    # each reuse is reported at its own block, naming the first.
    ids = ["q1", "q2", "q1", "q1"]
    course = write_course(tmp_path / "c", {f"m{n}": QUIZ.format(n=n, qid=qid)
                                           for n, qid in enumerate(ids, 1)})
    result = probe(course)
    assert result["same"] and result["forks"] > 0
    dupes = [d for d in result["diagnostics"] if "duplicate question id 'q1'" in d]
    assert [d.split(":")[0].rsplit("/", 1)[1] for d in dupes] == ["m3.md", "m4.md"]
    assert all("m1.md:7" in d for d in dupes)
