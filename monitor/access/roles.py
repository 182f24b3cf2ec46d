"""Which roles may read which kind of data: one table for the API, the command line and the reports.

The cases' own rules (liaisons see only their agency's cases) are in :mod:`monitor.cases.access`; a
report that contains documents, alerts or cases follows the rules of each (:mod:`monitor.reports.access`).
"""

from __future__ import annotations

from monitor.access.keys import Role

DOCUMENT_ROLES = (Role.ADMIN, Role.OFFICER, Role.RESEARCHER)  # researchers through the privacy view
ALERT_ROLES = (Role.ADMIN, Role.OFFICER)
