"""``monitor keys ...``: create, list and revoke API keys."""

from __future__ import annotations

import argparse
from typing import Any

from monitor.access.keys import Role
from monitor.cli_common import say, with_monitor
from monitor.context import Monitor
from monitor.errors import InvalidInputError


def _listed_liaison(monitor: Monitor, name: str | None) -> bool:
    """Whether cases.yaml already gives a key of this name an agency (its ``key_names``)."""
    return bool(name) and any(name in agency.key_names for agency in monitor.cases.config.agencies.values())


def _create(monitor: Monitor, args: argparse.Namespace) -> int:
    if args.agency is not None:
        monitor.cases.config.check_agency(args.agency)
    elif args.role == Role.LIAISON and not _listed_liaison(monitor, args.name):
        # A liaison key in no agency would be accepted here, then refused by every case command and route.
        known = ", ".join(sorted(monitor.cases.config.agencies)) or "none configured in cases.yaml"
        raise InvalidInputError(f"a liaison key needs --agency, the agency whose shared cases it sees (known: {known})")
    key, secret = monitor.keys.create(Role(args.role), args.name or "", agency=args.agency)
    say(f"Created {key.role.value} key {key.key_id} ({key.name}). The secret is shown only once:")
    say(secret)
    return 0


@with_monitor
def _run(monitor: Monitor, args: argparse.Namespace) -> int:
    if args.keys_command == "create":
        return _create(monitor, args)
    if args.keys_command == "revoke":
        key = monitor.keys.revoke(args.key_id)
        say(f"Revoked {key.key_id} ({key.name})")
        return 0
    for key in monitor.keys.all_keys():
        state = "revoked" if key.revoked_at else "active"
        agency = f"  [{key.agency}]" if key.agency else ""
        say(f"{key.key_id}  {key.role.value:<10} {state:<8} {key.hint}…  {key.name}{agency}")
    return 0


def add_keys_commands(commands: Any) -> None:
    """Install ``monitor keys ...`` on the main parser's sub-commands."""
    keys = commands.add_parser("keys", help="manage API keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_commands.add_parser("create", help="create a key and print its secret once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", help="who or what the key is for")
    create.add_argument(
        "--agency", help="liaison keys (required for them): the agency, an id under agencies: in cases.yaml"
    )
    keys_commands.add_parser("list", help="list keys (never their secrets)")
    revoke = keys_commands.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id")
    keys.set_defaults(handler=_run)
