"""Fuzz runs count their cases; the summary line reports how many ran (none crashed if green)."""

from __future__ import annotations

from tests.fuzz.counts import CASES, EXAMPLES


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not CASES:
        return
    terminalreporter.section("fuzz cases")
    for name, count in sorted(CASES.items()):
        terminalreporter.write_line(f"{name}: {count:,} cases ran")
    total = sum(CASES.values())
    verdict = "none crashed" if exitstatus == 0 else "SEE FAILURES ABOVE"
    terminalreporter.write_line(f"total: {total:,} cases ({EXAMPLES} examples per test "
                                f"requested); {verdict}")
