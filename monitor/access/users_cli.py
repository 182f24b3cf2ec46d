"""``monitor users ...``: people's accounts for the console (create, list, disable, reset-password).

A new or reset password is generated and printed once, unless ``--password-stdin`` reads it from
standard input (for scripts); either way it must pass the password policy.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from monitor.access.accounts import create_account, reset_account_password
from monitor.access.keys import Role
from monitor.cli_common import command_line_actor, local_minute, say, with_monitor
from monitor.context import Monitor


def _password(args: argparse.Namespace) -> str | None:
    """The password read from standard input, or None to have one generated (then it is printed once)."""
    return sys.stdin.readline().rstrip("\n") if args.password_stdin else None


def _create(monitor: Monitor, args: argparse.Namespace) -> int:
    user, generated = create_account(
        monitor.users,
        monitor.cases.config,
        args.username,
        Role(args.role),
        display_name=args.name or "",
        agency=args.agency,
        password=_password(args),
        by=command_line_actor(monitor.keys),
    )
    agency = f" of {user.agency}" if user.agency else ""
    say(f"Created {user.role.value}{agency} account '{user.username}' ({user.display_name}), id {user.user_id}.")
    if generated:
        say("Its password is shown only once (the person changes it at /console/password):")
        say(generated)
    return 0


def _reset(monitor: Monitor, args: argparse.Namespace) -> int:
    user, generated = reset_account_password(
        monitor.users, args.username, password=_password(args), by=command_line_actor(monitor.keys)
    )
    say(f"New password for '{user.username}'; every session of the account has ended.")
    if generated:
        say(generated)
    return 0


@with_monitor
def _run(monitor: Monitor, args: argparse.Namespace) -> int:
    if args.users_command == "create":
        return _create(monitor, args)
    if args.users_command == "reset-password":
        return _reset(monitor, args)
    if args.users_command == "disable":
        user = monitor.users.disable(args.username, by=command_line_actor(monitor.keys))
        say(f"Disabled '{user.username}' ({user.display_name}); its sessions have ended.")
        return 0
    zone = monitor.settings.zone
    for user in monitor.users.all_users():
        state = "disabled" if user.disabled_at else "active"
        agency = f"  [{user.agency}]" if user.agency else ""
        created = local_minute(user.created_at, zone)
        say(f"{user.username:<20} {user.role.value:<10} {state:<8} {created}  {user.display_name}{agency}")
    return 0


def add_users_commands(commands: Any) -> None:
    """Install ``monitor users ...`` on the main parser's sub-commands."""
    users = commands.add_parser("users", help="manage people's console accounts")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    create = users_commands.add_parser("create", help="create an account and print its password once")
    create.add_argument("username", help="sign-in name: lower-case letters without accents, digits, . _ -")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", help="the person's full name, shown in the console and the audit log")
    create.add_argument(
        "--agency", help="liaisons (required for them): the agency, an id under agencies: in cases.yaml"
    )
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    users_commands.add_parser("list", help="list accounts (never their passwords)")
    disable = users_commands.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    reset = users_commands.add_parser("reset-password", help="set a new password (printed once) and end sessions")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    users.set_defaults(handler=_run)
