"""Who may do what with cases: one policy for the API and the command line.

Officers and admins work cases and export any of them; a liaison sees and exports only the cases shared
with its agency (configured in ``configs/cases.yaml``) and changes nothing; researchers see no case. A
case not shared with a liaison's agency is reported as unknown, so liaisons learn nothing of other
agencies' cases.
"""

from __future__ import annotations

from monitor.access.keys import ApiKey, Role
from monitor.cases.config import CasesConfig
from monitor.cases.model import Case
from monitor.cases.store import CaseStore
from monitor.errors import ForbiddenError, NotFoundError

WORK_ROLES = (Role.ADMIN, Role.OFFICER)
SEE_ROLES = (Role.ADMIN, Role.OFFICER, Role.LIAISON)
EXPORT_ROLES = SEE_ROLES
REGISTER_ROLES = WORK_ROLES  # the XLSX register of all cases is the office's own report


def check_role(key: ApiKey, allowed: tuple[Role, ...]) -> None:
    """Raise :class:`ForbiddenError` (403) unless ``key`` has one of the ``allowed`` roles."""
    if key.role not in allowed:
        names = ", ".join(sorted(role.value for role in allowed))
        raise ForbiddenError(f"role '{key.role.value}' may not do this (allowed: {names})")


def agency_scope(key: ApiKey, config: CasesConfig) -> str | None:
    """None for officers and admins (every case); a liaison's agency, or ForbiddenError if it has none."""
    if key.role is not Role.LIAISON:
        return None
    agency = config.agency_of(key)
    if agency is None:
        raise ForbiddenError(
            f"liaison key '{key.name}' ({key.key_id}) belongs to no agency: an administrator must list it "
            "under an agency in configs/cases.yaml"
        )
    return agency


def visible_case(store: CaseStore, config: CasesConfig, key: ApiKey, case_id: str) -> Case:
    """The case if ``key`` may see it; NotFoundError, as for an unknown case, if it is another agency's."""
    agency = agency_scope(key, config)
    case = store.get(case_id)
    if agency is not None and agency not in case.agencies:
        raise NotFoundError(f"no case with id '{case_id}'")
    return case
