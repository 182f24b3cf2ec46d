"""Which roles may read or change which kind of data: one table for the API, the console, the command
line and the reports.

The cases' own rules (liaisons see only their agency's cases) are in :mod:`monitor.cases.access`; a
report that contains documents, alerts or cases follows the rules of each (:mod:`monitor.reports.access`).
"""

from __future__ import annotations

from monitor.access.keys import Role

DOCUMENT_ROLES = (Role.ADMIN, Role.OFFICER, Role.RESEARCHER)  # researchers through the privacy view
ALERT_ROLES = (Role.ADMIN, Role.OFFICER)
ALERT_ACTION_ROLES = (Role.ADMIN, Role.OFFICER)  # acknowledge, resolve, comment, retry deliveries
LABEL_ROLES = (Role.ADMIN, Role.OFFICER)  # correct a document's label (training feedback)
SOURCE_ROLES = (Role.ADMIN, Role.OFFICER, Role.RESEARCHER)
RULE_READ_ROLES = (Role.ADMIN, Role.OFFICER)
RULE_MANAGE_ROLES = (Role.ADMIN,)
SILENCE_READ_ROLES = (Role.ADMIN, Role.OFFICER)
SILENCE_MANAGE_ROLES = (Role.ADMIN,)
AUDIT_ROLES = (Role.ADMIN,)
REPORT_ROLES = DOCUMENT_ROLES  # a report's alerts and cases parts follow their own roles (report_scope)
DOCUMENT_EXPORT_ROLES = DOCUMENT_ROLES  # a search result as CSV/XLSX; researchers through the privacy view
ARCHIVE_ROLES = (Role.ADMIN, Role.OFFICER)  # the raw archived original names its author: no privacy view of it
USER_MANAGE_ROLES = (Role.ADMIN,)  # people's accounts: create, disable, reset a password
