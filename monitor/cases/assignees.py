"""Who a case may be assigned to: active officers and admins, people (console accounts) and API keys alike.

One rule for the API (``PUT /cases/{id}/assignee``) and the console's assignment form. A person is named
by their principal's key id (``user:<id>``, see :meth:`monitor.access.users.User.principal`), a key by
its id, so the case's ``assignee_id`` says which one it is.
"""

from __future__ import annotations

from monitor.access.audit import Actor
from monitor.access.keys import ApiKey, KeyStore
from monitor.access.users import PRINCIPAL_PREFIX, UserStore
from monitor.cases.access import WORK_ROLES
from monitor.errors import InvalidInputError, NotFoundError


def assignable(keys: KeyStore, users: UserStore) -> list[ApiKey]:
    """Every active officer and admin: people first (by name), then API keys (by name)."""
    people = [user.principal() for user in users.all_users() if user.active and user.role in WORK_ROLES]
    machines = [key for key in keys.all_keys() if key.active and key.role in WORK_ROLES]
    return sorted(people, key=lambda k: k.name.casefold()) + sorted(machines, key=lambda k: k.name.casefold())


def _find(keys: KeyStore, users: UserStore, key_id: str) -> ApiKey | None:
    if key_id.startswith(PRINCIPAL_PREFIX):
        try:
            user = users.get(key_id.removeprefix(PRINCIPAL_PREFIX))
        except NotFoundError:
            return None
        return user.principal() if user.active else None
    return next((key for key in keys.all_keys() if key.key_id == key_id and key.active), None)


def assignee(keys: KeyStore, users: UserStore, key_id: str) -> Actor:
    """The assignee named by ``key_id`` (a key id or ``user:<id>``), as the case records them.

    Raises:
        InvalidInputError: (parameter ``key_id``) unless it names an active officer or admin key or person.
    """
    found = _find(keys, users, key_id)
    if found is None or found.role not in WORK_ROLES:
        raise InvalidInputError(f"'{key_id}' is not an active officer or admin key or person", parameter="key_id")
    return Actor.for_key(found)
