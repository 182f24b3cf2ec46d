"""Who may read which report, and which parts: a report follows the role rules of the data it contains.

A report is built from documents (counts, topics, stories), alerts and cases. Each part is shown only to
a role that may read that data through the API: documents for :data:`~monitor.access.roles.DOCUMENT_ROLES`,
alerts for :data:`~monitor.access.roles.ALERT_ROLES`, cases for the roles that see every case
(:data:`~monitor.cases.access.WORK_ROLES`). A researcher therefore gets the report without its alerts
and cases; a liaison, who may read no documents, gets no report (its shared cases are at ``/cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.access.keys import ApiKey
from monitor.access.roles import ALERT_ROLES, DOCUMENT_ROLES
from monitor.cases.access import WORK_ROLES, check_role


@dataclass(frozen=True)
class ReportScope:
    """The parts of a report its reader may see (documents always: no report without them)."""

    alerts: bool = True
    cases: bool = True


FULL_SCOPE = ReportScope()  # the operator's own reports: the command line and scheduled reports


def report_scope(key: ApiKey) -> ReportScope:
    """What ``key`` may see of a report.

    Raises:
        AuthError: The key's role may not read documents, which every report is built from.
    """
    check_role(key, DOCUMENT_ROLES)
    return ReportScope(alerts=key.role in ALERT_ROLES, cases=key.role in WORK_ROLES)
