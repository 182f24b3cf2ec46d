"""The ``monitor`` command: thin subcommands over the library.

The installed command is :mod:`api.main`, which plugs the HTTP API in for ``run`` and ``serve``; the core
alone (``python -m monitor.cli``) runs every other command, and ``run --no-api``.

Exit codes: 0 success, 1 runtime failure, 2 invalid configuration or arguments (see :mod:`monitor.cli_common`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.access.keys_cli import add_keys_commands
from monitor.access.users_cli import add_users_commands
from monitor.alerting.types import AlertQuery, AlertState
from monitor.analysis import SentimentLabel
from monitor.cases.cli import add_case_commands
from monitor.cli_common import (
    GLOBAL_OPTIONS,
    bounded_int,
    command_line_actor,
    local_minute,
    lookback,
    output_file,
    progress,
    report_error,
    say,
    say_json_lines,
    share_options,
    with_monitor,
)
from monitor.config.check import check_configuration
from monitor.context import Monitor
from monitor.errors import ConfigError, MonitorError
from monitor.files import restrict_umask
from monitor.ingestion.crawl import crawl_cycle
from monitor.ingestion.discovery import discover_feeds, sources_yaml
from monitor.ingestion.health import SourceHealth
from monitor.ingestion.plugins import load_plugins
from monitor.ingestion.replay import replay_archive
from monitor.logs import logging_for_command
from monitor.records import Platform, utc_now
from monitor.rules.drafts import dry_run
from monitor.service import ApiRunner, ensure_admin_key, ensure_admin_user, run_service
from monitor.store.base import DocumentFilter, SearchRequest
from monitor.store.index_cli import add_index_commands


def _exit_on_sigterm() -> None:
    """Make SIGTERM (a service manager's stop) unwind like Ctrl-C, so the monitor closes cleanly.

    uvicorn handles SIGTERM while it serves, then raises it again once the server has stopped; with the
    default handler the process would die there, before the worker processes and the database are closed.
    """

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def _api_runner(args: argparse.Namespace) -> ApiRunner:
    """The HTTP API the composition root plugged in; the core alone (``python -m monitor.cli``) has none."""
    runner: ApiRunner | None = args.serve_api
    if runner is None:
        raise ConfigError(
            f"'{args.command}' serves the HTTP API, which this entry point (monitor.cli) does not include: "
            "run the installed 'monitor' command (api.main), or 'run --no-api'"
        )
    return runner


@with_monitor
def cmd_run(monitor: Monitor, args: argparse.Namespace) -> int:
    _exit_on_sigterm()
    runner = None if args.no_api else _api_runner(args)
    ensure_admin_key(monitor, say)
    ensure_admin_user(monitor, say)
    api = monitor.settings.api
    if runner is not None:
        say(f"API on http://{api.host}:{api.port} (docs: http://{api.host}:{api.port}/docs)")
        say(f"Console on http://{api.host}:{api.port}/console/")
    say(f"Crawling {len(monitor.sources)} sources; data in {monitor.settings.data_dir}/. Ctrl-C stops.")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_service(monitor, progress, serve_api=runner))
    return 0


@with_monitor
def cmd_serve(monitor: Monitor, args: argparse.Namespace) -> int:
    _exit_on_sigterm()
    runner = _api_runner(args)
    ensure_admin_key(monitor, say)
    ensure_admin_user(monitor, say)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner(monitor))
    return 0


def _check_sources(monitor: Monitor, chosen: Sequence[str] | None) -> None:
    """Every id in ``chosen`` must be an enabled source: a typo would otherwise do nothing, silently."""
    known = sorted(s.spec.id for s in monitor.sources)
    unknown = sorted(set(chosen or ()) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown or disabled source(s): {', '.join(unknown)} (enabled sources: {', '.join(known) or 'none'})"
        )


@with_monitor
def cmd_crawl(monitor: Monitor, args: argparse.Namespace) -> int:
    chosen = monitor.sources
    if args.source:
        _check_sources(monitor, args.source)
        chosen = [s for s in monitor.sources if s.spec.id in args.source]
    progress(f"Crawling {len(chosen)} sources once...")
    report = asyncio.run(crawl_cycle(monitor, chosen, progress))
    say(
        f"Done in {report.duration_seconds:.1f}s: {report.inserted} new documents, "
        f"{report.alerts} alerts created or updated, {len(report.failed_sources)} sources failed"
        + (f" ({', '.join(sorted(report.failed_sources))})" if report.failed_sources else "")
    )
    return 1 if report.failed_sources and len(report.failed_sources) == len(chosen) else 0


@with_monitor
def cmd_sources(monitor: Monitor, args: argparse.Namespace) -> int:
    if args.discover:
        page_url, feeds = discover_feeds(monitor, args.discover, allow_private_network=args.allow_private_network)
        if not feeds:
            say(f"No feeds declared or linked on {page_url}")
            return 1
        say(sources_yaml(page_url, feeds))
        return 0
    states = monitor.health.all()
    zone = monitor.settings.zone
    for source in monitor.sources:
        state = states.get(source.spec.id, SourceHealth(source_id=source.spec.id))
        success = local_minute(state.last_success_at, zone) if state.last_success_at else "never"
        line = (
            f"{source.spec.id:<24} {state.status:<9} last ok {success:<16} {state.items_per_day:>7.1f}/day  "
            f"{state.consecutive_failures} failures in a row"
        )
        if state.last_error:
            line += f"\n    last error: {state.last_error}"
        say(line)
    return 0


@with_monitor
def cmd_replay(monitor: Monitor, args: argparse.Namespace) -> int:
    _check_sources(monitor, args.source)
    since = utc_now() - timedelta(seconds=args.since) if args.since else None
    report = replay_archive(monitor, tuple(args.source or ()), since, progress)
    skipped = "".join(
        f"; {n} items of the unconfigured source '{s}' skipped" for s, n in sorted(report.unknown_sources.items())
    )
    say(
        f"Replayed {report.items} archived items: {report.documents} documents, {report.inserted} new, "
        f"{report.updated} updated, {report.problems} problems, {report.alerts} alerts touched{skipped}"
    )
    return 0


@with_monitor
def cmd_search(monitor: Monitor, args: argparse.Namespace) -> int:
    since = utc_now() - timedelta(seconds=args.since) if args.since else None
    request = SearchRequest(
        filter=DocumentFilter(
            text=args.query,
            exact_accents=args.exact_accents,
            timezone=monitor.settings.timezone,
            since=since,
            sources=tuple(args.source or ()),
            platforms=tuple(Platform(p) for p in args.platform or ()),
            sentiments=tuple(SentimentLabel(s) for s in args.sentiment or ()),
            topics=tuple(args.topic or ()),
        ),
        limit=args.limit,
    )
    page = monitor.store.search(request)
    if args.json:
        return say_json_lines(page.items)
    say(f"{page.total} documents match; showing {len(page.items)}")
    for item in page.items:
        doc, analysis = item.document, item.analysis
        when = local_minute(doc.published_at, monitor.settings.zone)
        headline = doc.title or doc.text.replace("\n", " ")[:100]
        say(
            f"{when}  {doc.source_id:<18} {analysis.sentiment.label.value:<8} "
            f"misinfo={analysis.misinformation.score:.2f}  {headline}\n    {doc.url}"
        )
    return 0


@with_monitor
def cmd_alerts(monitor: Monitor, args: argparse.Namespace) -> int:
    if args.ack:
        alert = monitor.alerts.acknowledge(args.ack, by=command_line_actor(monitor.keys))
        say(f"{alert.alert_id} is {alert.state.value} (by {alert.acknowledged_by})")
        return 0
    total, alerts = monitor.alerts.search(
        AlertQuery(states=tuple(AlertState(s) for s in args.state or ()), limit=args.limit)
    )
    if args.json:
        return say_json_lines(alerts)
    say(f"{total} alerts; showing {len(alerts)}")
    for alert in alerts:
        when = local_minute(alert.event_end, monitor.settings.zone)
        say(
            f"{when}  [{alert.severity.value:<8}] {alert.state.value:<12} {alert.rule_id:<22} "
            f"{alert.doc_count:>4} docs  {alert.title}\n    id {alert.alert_id}"
        )
    return 0


@with_monitor
def cmd_rules_test(monitor: Monitor, args: argparse.Namespace) -> int:
    """What a rule would have fired over a past period; nothing is recorded and nobody is notified."""
    rule = next((r for r in monitor.engine.all_rules if r.id == args.rule), None)
    if rule is None:
        known = ", ".join(sorted(r.id for r in monitor.engine.all_rules))
        raise ConfigError(f"no rule with id '{args.rule}' in {monitor.settings.config_dir}/rules (known: {known})")
    until = utc_now() - timedelta(seconds=args.until or 0)
    since = utc_now() - timedelta(seconds=args.since)
    if since >= until:
        raise ConfigError(f"--since must reach further back than --until ({args.since}s vs {args.until}s)")
    progress(f"testing rule '{rule.id}' ({rule.type}) from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC...")
    candidates = dry_run(monitor, rule, since, until)
    if args.json:
        return say_json_lines(candidates)
    say(f"Rule '{rule.id}' would have fired {len(candidates)} alerts (nothing recorded, nobody notified)")
    for candidate in candidates:
        when = local_minute(candidate.event_start, monitor.settings.zone)
        say(
            f"{when}  [{candidate.severity.value:<8}] {len(candidate.doc_ids):>4} docs  {candidate.title}\n"
            f"    {candidate.summary}"
        )
    return 0


@with_monitor
def cmd_export_dataset(monitor: Monitor, args: argparse.Namespace) -> int:
    from monitor.analytics.dataset_export import export_dataset  # noqa: PLC0415  (pyarrow only for this command)

    count = export_dataset(monitor, args.out, since=args.since, until=args.until, progress=progress)
    say(f"{count:,} documents written to {args.out} (authors, channels and mentions pseudonymized)")
    return 0


def _aware_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO-8601 time, e.g. 2026-11-01T00:00:00+07:00: {exc}") from exc
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"'{value}' has no time zone offset (add +07:00 for Vietnam time)")
    return moment


def _add_export_commands(commands: Any) -> None:
    export = commands.add_parser("export", help="exports for researchers")
    export_commands = export.add_subparsers(dest="export_command", required=True)
    dataset = export_commands.add_parser("dataset", help="documents as Parquet, authors pseudonymized")
    dataset.add_argument("out", type=output_file, help="the .parquet file to write")
    dataset.add_argument("--since", type=_aware_time, help="published at or after (ISO-8601 with offset)")
    dataset.add_argument("--until", type=_aware_time, help="published before (ISO-8601 with offset)")
    export.set_defaults(handler=cmd_export_dataset)


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    from monitor.cases.exports import verify_package  # noqa: PLC0415  (only this command needs it)

    problems = verify_package(args.package)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        say(f"{args.package}: {len(problems)} problem(s): the package is not as exported")
        return 1
    say(f"{args.package}: intact (every file matches manifest.sha256)")
    return 0


@with_monitor
def cmd_report(monitor: Monitor, args: argparse.Namespace) -> int:
    from monitor.reports import build_report, write_report  # noqa: PLC0415  (matplotlib only when needed)

    report = build_report(monitor, args.kind, end=args.end, campaign=args.campaign)
    folder = args.out or monitor.settings.data_dir / "reports"
    for path in write_report(report, folder, args.formats or ["docx", "pdf", "html"], monitor.settings.timezone):
        say(str(path))
    return 0


def _add_report_commands(commands: Any) -> None:
    report = commands.add_parser("report", help="write a daily, weekly or campaign report (DOCX, PDF, HTML)")
    report.add_argument("kind", choices=["daily", "weekly", "campaign"])
    report.add_argument("campaign", nargs="?", help="campaign id from configs/campaigns.yaml (kind campaign)")
    report.add_argument("--end", type=date.fromisoformat, help="last local day included (default: yesterday)")
    report.add_argument("--out", type=Path, default=None, help="folder (default: <data_dir>/reports)")
    report.add_argument("--format", dest="formats", action="append", choices=["docx", "pdf", "html"])
    report.set_defaults(handler=cmd_report)


def _add_evidence_commands(commands: Any) -> None:
    evidence = commands.add_parser("evidence", help="evidence packages")
    evidence_commands = evidence.add_subparsers(dest="evidence_command", required=True)
    verify = evidence_commands.add_parser("verify", help="check a police evidence package against manifest.sha256")
    verify.add_argument("package", type=Path, help="the .zip package")
    evidence.set_defaults(handler=cmd_evidence_verify)


def _add_rules_commands(commands: Any) -> None:
    rules = commands.add_parser("rules", help="alert rules")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True)
    test = rules_commands.add_parser("test", help="show what a rule would have fired, without notifying anyone")
    test.add_argument("rule", help="rule id")
    test.add_argument("--since", type=lookback, required=True, help="how far back: 7d, 24h...")
    test.add_argument("--until", type=lookback, help="end this long ago (default: now)")
    test.add_argument("--json", action="store_true", help="one JSON alert candidate per line")
    rules.set_defaults(handler=cmd_rules_test)


@with_monitor
def cmd_check(monitor: Monitor, args: argparse.Namespace) -> int:
    later = check_configuration(monitor)  # and what the service reads later
    say(
        f"Configuration in {monitor.settings.config_dir}/ is valid: {len(monitor.sources)} enabled sources, "
        f"{len(monitor.rules)} rules, {later.campaigns} campaigns, analyzer '{monitor.settings.analyzer}', "
        f"database {monitor.settings.sqlite_path}"
    )
    return 0


def _add_config_commands(commands: Any) -> None:
    config = commands.add_parser("config", help="configuration tools")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    config_commands.add_parser("check", help="validate the configuration and exit")
    config.set_defaults(handler=cmd_check)


def build_parser(serve_api: ApiRunner | None = None) -> argparse.ArgumentParser:
    """The ``monitor`` command line; ``serve_api`` is the HTTP API that ``run`` and ``serve`` start."""
    parser = argparse.ArgumentParser(prog="monitor", description="Đồng Nai media monitor")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="crawl on schedule, evaluate rules and serve the API (the main job)")
    run.add_argument("--no-api", action="store_true", help="crawl and alert without serving the API")
    run.set_defaults(handler=cmd_run, serve_api=serve_api)

    commands.add_parser("serve", help="serve the API only").set_defaults(handler=cmd_serve, serve_api=serve_api)

    crawl = commands.add_parser("crawl", help="crawl sources")
    crawl.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    crawl.add_argument("--source", action="append", help="only this source id (repeatable)")
    crawl.set_defaults(handler=cmd_crawl)

    sources = commands.add_parser("sources", help="sources and their health")
    sources.add_argument("--discover", metavar="URL", help="list the feeds a site's page declares, as YAML")
    sources.add_argument(
        "--allow-private-network", action="store_true", help="let --discover read a private or loopback address"
    )
    sources.set_defaults(handler=cmd_sources)

    replay = commands.add_parser("replay", help="run the pipeline again over the raw archive")
    replay.add_argument("--source", action="append", help="only this source id (repeatable)")
    replay.add_argument("--since", type=lookback, help="only items fetched in the last 7d, 24h...")
    replay.set_defaults(handler=cmd_replay)

    search = commands.add_parser("search", help="search stored documents")
    search.add_argument("query", nargs="?", default=None, help="e.g. '\"dong nai\" AND (ngap OR lut)'")
    search.add_argument("--since", type=lookback, help="only the last 7d, 24h...")
    search.add_argument("--exact-accents", action="store_true", help="match words with their diacritics")
    search.add_argument("--source", action="append")
    search.add_argument("--platform", action="append", choices=[p.value for p in Platform])
    search.add_argument("--sentiment", action="append", choices=[s.value for s in SentimentLabel])
    search.add_argument("--topic", action="append")
    search.add_argument("--limit", type=bounded_int(SearchRequest, "limit"), default=20)
    search.add_argument("--json", action="store_true", help="one JSON document per line")
    search.set_defaults(handler=cmd_search)

    alerts = commands.add_parser("alerts", help="list alerts, or acknowledge one")
    alerts.add_argument("--state", action="append", choices=[s.value for s in AlertState])
    alerts.add_argument("--limit", type=bounded_int(AlertQuery, "limit"), default=50)
    alerts.add_argument("--ack", metavar="ALERT_ID", help="acknowledge this alert")
    alerts.add_argument("--json", action="store_true")
    alerts.set_defaults(handler=cmd_alerts)

    add_keys_commands(commands)
    add_users_commands(commands)

    add_index_commands(commands)

    _add_config_commands(commands)
    _add_rules_commands(commands)
    _add_export_commands(commands)
    _add_evidence_commands(commands)
    add_case_commands(commands)
    _add_report_commands(commands)
    for install in load_plugins().command_installers:  # e.g. "monitor models ..." from the NLP package
        install(commands)
    # Last, so plugin commands take them too: "monitor search x --config-dir y" = "monitor --config-dir y search x".
    share_options(parser, GLOBAL_OPTIONS)
    return parser


def main(argv: Sequence[str] | None = None, serve_api: ApiRunner | None = None) -> int:
    """Run one ``monitor`` command; ``serve_api`` comes from the composition root (:mod:`api.main`)."""
    restrict_umask()  # the database, archive and exports are the owner's alone (monitor.files)
    try:
        parser = build_parser(serve_api)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    # The one place where a command's failure becomes a message: every MonitorError, and a value a command's
    # model refuses, is one message and an exit code, never a traceback.
    try:
        with logging_for_command(args.verbose):
            code: int = args.handler(args)
    except (MonitorError, ValidationError) as exc:
        return report_error(exc)
    return code


if __name__ == "__main__":
    sys.exit(main())
