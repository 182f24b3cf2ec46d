"""Exports of cases for the agencies they are shared with and for the office itself (issue #7, item 5).

* :func:`prepare_police_package` / :func:`write_police_package`: the evidence package (ZIP) for the police,
  checked with :func:`verify_package` (``monitor evidence verify PACKAGE``).
* :func:`write_briefing`: the foreign-affairs briefing (DOCX), private individuals redacted
  (:mod:`~monitor.cases.exports.redact` states the rule).
* :func:`write_register`: the register of cases with their timings (XLSX), for the office's reports.

Each export needs a :class:`Requester` with a stated purpose, is limited to cases the requester may export
(a liaison: only cases shared with its agency) and is written to the case's custody log.
"""

from __future__ import annotations

from monitor.cases.exports.briefing import MAX_ENGLISH_SUMMARY_CHARS, write_briefing
from monitor.cases.exports.common import MAX_PURPOSE_CHARS, ExportKind, Requester, check_purpose, requester_for
from monitor.cases.exports.package import PolicePackage, prepare_police_package, write_police_package
from monitor.cases.exports.redact import Redactor
from monitor.cases.exports.register import RegisterResult, write_register
from monitor.cases.exports.verify import verify_package

__all__ = [
    "MAX_ENGLISH_SUMMARY_CHARS",
    "MAX_PURPOSE_CHARS",
    "ExportKind",
    "PolicePackage",
    "Redactor",
    "RegisterResult",
    "Requester",
    "check_purpose",
    "prepare_police_package",
    "requester_for",
    "verify_package",
    "write_briefing",
    "write_police_package",
    "write_register",
]
