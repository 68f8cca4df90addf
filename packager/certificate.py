"""Certificate verification codes: the same derivation as runtime/certificate.js."""

from __future__ import annotations

import hashlib
import re
from datetime import date as Date

from packager.answerkey import normalize_text
from packager.diagnostics import UsageError
from packager.model import Course


def display_name(raw: str) -> str:
    """SCORM 1.2 names come as "Last, First"; certificates print "First Last"."""
    parts = raw.strip().split(",")
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return f"{parts[1].strip()} {parts[0].strip()}"
    return raw.strip()


def verification_code(course: Course, learner: str, completed_on: str) -> str:
    """The code printed on a certificate for this learner and completion date (YYYY-MM-DD).

    It lets a provider confirm that name, course, version and date were not edited; it is
    not a signature (packages carry no secret).
    """
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", completed_on):
        raise UsageError(f"date '{completed_on}' must be YYYY-MM-DD")
    Date.fromisoformat(completed_on)
    from packager.answerkey import course_salt

    text = "|".join([course_salt(course), "cert", course.id, course.version,
                     normalize_text(display_name(learner)), completed_on])
    digest = hashlib.sha256(text.encode()).hexdigest()[:12].upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:]}"
