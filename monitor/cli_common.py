"""What every ``monitor`` subcommand shares: argument types with their limits, options accepted before or
after the subcommand, who is acting, opening and closing the monitor around a command, printing, and
turning an error into one line and an exit code.

Exit codes: 0 success, 1 runtime failure (refused, not found, unreachable...), 2 invalid configuration or
arguments (argparse's own code for a bad argument).
"""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

from monitor.access.audit import Actor
from monitor.access.keys import KeyStore
from monitor.config.settings import load_settings
from monitor.context import Monitor, build_monitor
from monitor.durations import parse_duration
from monitor.errors import ConfigError, InvalidInputError, MonitorError, QueryError
from monitor.logs import register_secret
from monitor.records import utc_now

KEY_VARIABLE = "MONITOR_API_KEY"
USAGE = 2
FAILURE = 1

Option = tuple[tuple[str, ...], dict[str, Any]]

GLOBAL_OPTIONS: tuple[Option, ...] = (
    (("--config-dir",), {"help": "configuration folder (default: $MONITOR_CONFIG_DIR or ./configs)"}),
    (
        ("-v", "--verbose"),
        {"action": "store_true", "help": "debug logging, libraries included (also: MONITOR_LOG_LEVEL=DEBUG)"},
    ),
)


OpenMonitor = Callable[[argparse.Namespace], Monitor]
MonitorCommand = Callable[[Monitor, argparse.Namespace], int]


def say(message: str) -> None:
    """A command's result, on standard output (flushed: a service log shows it at once)."""
    print(message, flush=True)


def progress(message: str) -> None:
    """How a long command is getting on, on standard error (standard output stays the result)."""
    print(message, file=sys.stderr, flush=True)


def say_json_lines(records: Iterable[BaseModel]) -> int:
    """``--json`` output: one record per line; the command's exit code (0)."""
    for record in records:
        say(record.model_dump_json())
    return 0


def local_minute(moment: datetime, zone: tzinfo) -> str:
    """A time as officers read it in listings: local, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def open_monitor(args: argparse.Namespace) -> Monitor:
    """The monitor assembled from ``--config-dir``, with the channels' secrets kept out of every log line."""
    monitor = build_monitor(load_settings(args.config_dir))
    for channel in monitor.delivery.config.channels:  # tokens and passwords read from the environment
        for secret in channel.secrets.values():
            register_secret(secret.get_secret_value())
    return monitor


def with_monitor(command: MonitorCommand) -> Callable[[argparse.Namespace], int]:
    """``command`` run over an opened monitor that is closed afterwards, whatever happens.

    Errors are not caught here: :func:`monitor.cli.main` turns every one into a message and an exit code.
    """

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        monitor = open_monitor(args)
        try:
            return command(monitor, args)
        finally:
            monitor.close()

    return run


def duration(value: str) -> int:
    """argparse type: ``30m``, ``6h``, ``7d``... as seconds."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def lookback(value: str) -> int:
    """argparse type: how far back (``7d``) as seconds; the moment it reaches back to must be a date."""
    seconds = duration(value)
    try:
        utc_now() - timedelta(seconds=seconds)
    except OverflowError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} reaches back before the year 1") from exc
    return seconds


def bounded_int(model: type[BaseModel], field: str) -> Callable[[str], int]:
    """argparse type for an integer the way ``model.field`` accepts it (its ``ge``/``le``: one home for limits)."""
    low: int | None = None
    high: int | None = None
    for constraint in model.model_fields[field].metadata:
        if isinstance(constraint, annotated_types.Ge):
            low = int(constraint.ge)  # type: ignore[call-overload]
        elif isinstance(constraint, annotated_types.Le):
            high = int(constraint.le)  # type: ignore[call-overload]

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or (low is not None and number < low) or (high is not None and number > high):
            span = f"from {low} to {high}" if low is not None and high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {value!r}")
        return number

    parse.__name__ = "whole number"  # argparse names the type in its messages
    return parse


def output_file(value: str) -> Path:
    """argparse type: a file to write, whose folder must exist (checked now, before any slow work)."""
    path = Path(value)
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {path}: the folder {folder} does not exist")
    return path


def _descendants(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    seen: set[int] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if id(child) not in seen:  # aliases point at the same parser
                    seen.add(id(child))
                    yield child
                    yield from _descendants(child)


def share_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """Accept ``options`` on ``parser`` and, with the same meaning, after every one of its subcommands.

    The copies default to ``SUPPRESS``: a subcommand that was not given the option leaves the value
    parsed before it (or the default) alone. Call this once every subcommand exists (plugins included).
    """
    for flags, settings in options:
        parser.add_argument(*flags, **settings)
    for child in _descendants(parser):
        for flags, settings in options:
            child.add_argument(*flags, **{**settings, "default": argparse.SUPPRESS})


def command_line_actor(keys: KeyStore) -> Actor:
    """Who acts from the command line, for the audit log: the API key in ``$MONITOR_API_KEY`` if one is set
    (refused if it is not a valid key), else the operating-system user running the command."""
    secret = os.environ.get(KEY_VARIABLE, "").strip()
    if secret:
        return Actor.for_key(keys.authenticate(secret))
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # a uid without a passwd entry (containers)
        user = f"uid {os.getuid()}"
    return Actor(name=f"cli:{user}")


def report_error(exc: MonitorError | ValidationError) -> int:
    """Print ``exc`` as a message on standard error (no traceback); return the exit code."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "input"
        print(f"error: {where}: {error['msg']}", file=sys.stderr)
        return USAGE
    if isinstance(exc, ConfigError):
        print(f"configuration error: {exc}", file=sys.stderr)
        return USAGE
    print(f"error: {exc}", file=sys.stderr)
    return USAGE if isinstance(exc, (QueryError, InvalidInputError)) else FAILURE
