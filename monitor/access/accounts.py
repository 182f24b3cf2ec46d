"""Creating and resetting people's accounts: the one way for the command line, the console and the
first run, so each checks the agency and generates passwords alike.

A generated password is handed to the administrator once (printed, or shown on the page that answers
the form) and never stored anywhere but as its hash.
"""

from __future__ import annotations

import secrets

from monitor.access.audit import SYSTEM, Actor
from monitor.access.keys import Role
from monitor.access.users import User, UserStore
from monitor.cases.config import CasesConfig

GENERATED_PASSWORD_BYTES = 18  # 24 URL-safe characters: above any password_min_length the settings allow


def generated_password() -> str:
    """A new random password that passes the policy (the person changes it at /console/password)."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def create_account(
    users: UserStore,
    agencies: CasesConfig,
    username: str,
    role: Role,
    *,
    display_name: str = "",
    agency: str | None = None,
    password: str | None = None,
    by: Actor = SYSTEM,
) -> tuple[User, str | None]:
    """Create an account; returns it and the generated password (None when ``password`` was given).

    A liaison's agency must be one of cases.yaml (InvalidInputError naming the known ones).
    """
    if agency is not None:
        agencies.check_agency(agency)
    generated = generated_password() if password is None else None
    user = users.create(username, role, password or generated or "", display_name=display_name, agency=agency, by=by)
    return user, generated


def reset_account_password(
    users: UserStore, username: str, *, password: str | None = None, by: Actor = SYSTEM
) -> tuple[User, str | None]:
    """Set a new password (generated unless given); every session of the person ends."""
    generated = generated_password() if password is None else None
    user = users.reset_password(username, password or generated or "", by=by)
    return user, generated
