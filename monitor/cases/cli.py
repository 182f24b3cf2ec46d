"""``monitor cases ...``: the case workflow from the command line, under the same roles as the API.

Every command acts as an API key: its secret comes from ``$MONITOR_API_KEY`` or ``--key-file`` (never the
command line, where other users of the machine could read it in the process list). The key's role and
agency decide what it may do, exactly as in the API (:mod:`monitor.cases.access`), and its name goes into
the timeline, the custody log and the audit log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

from monitor.access.audit import Actor
from monitor.access.keys import ApiKey
from monitor.access.privacy import Pseudonymizer
from monitor.cases import CaseClaims, CaseOpen, CasePriority, CaseQuery, Cases, CaseState, Correction
from monitor.cases.access import (
    SEE_ROLES,
    WORK_ROLES,
    agency_scope,
    check_role,
    visible_case,
)
from monitor.cases.exports import Requester, requester_for
from monitor.cases.exports.kinds import CASE_EXPORTS, ExportRequest
from monitor.cli_common import KEY_VARIABLE, bounded_int, local_minute, output_file, share_options, with_monitor
from monitor.context import Monitor
from monitor.errors import AuthError, InvalidInputError, MonitorError

Handler = Callable[[Monitor, ApiKey, argparse.Namespace], int]
Command = Callable[[str, Handler, str], argparse.ArgumentParser]


def _say(message: str) -> None:
    print(message, flush=True)


def _show(model: BaseModel | list[Any], as_json: bool, text: Callable[[], str]) -> None:
    if as_json:
        data = [m.model_dump(mode="json") for m in model] if isinstance(model, list) else model.model_dump(mode="json")
        _say(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _say(text())


def _secret(args: argparse.Namespace) -> str:
    if args.key_file is not None:
        try:
            return Path(args.key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AuthError(f"cannot read the key file {args.key_file}: {exc.strerror}") from exc
    secret = os.environ.get(KEY_VARIABLE, "").strip()
    if not secret:
        raise AuthError(f"no API key: set ${KEY_VARIABLE} or pass --key-file (monitor keys create makes one)")
    return secret


def _actor(key: ApiKey) -> Actor:
    return Actor.for_key(key)


def _claims(cases: Cases) -> CaseClaims:
    if cases.claims is None:  # pragma: no cover - build_monitor always connects the registry
        raise MonitorError("the claim registry is not connected")
    return cases.claims


def _local(monitor: Monitor, moment: datetime | None) -> str:
    return "—" if moment is None else local_minute(moment, monitor.settings.zone)


# -- reading ----------------------------------------------------------------------------------------


def _list(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, SEE_ROLES)
    query = CaseQuery(
        states=tuple(CaseState(s) for s in args.state or ()),
        agency=agency_scope(key, monitor.cases.config),
        limit=args.limit,
    )
    total, cases = monitor.cases.store.search(query)

    def text() -> str:
        lines = [f"{total} cases; showing {len(cases)}"]
        lines += [
            f"{_local(monitor, c.opened_at)}  {c.state.value:<10} {c.priority.value:<8} {c.title}\n    id {c.case_id}"
            for c in cases
        ]
        return "\n".join(lines)

    _show(cases, args.json, text)
    return 0


def _show_case(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, SEE_ROLES)
    case = visible_case(monitor.cases.store, monitor.cases.config, key, args.case)
    timeline = monitor.cases.store.timeline(case.case_id)
    if args.json:
        _say(
            json.dumps(
                {
                    "case": case.model_dump(mode="json"),
                    "service": monitor.cases.service_record(case.case_id).model_dump(mode="json"),
                    "timeline": [event.model_dump(mode="json") for event in timeline],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    _say(f"{case.title}\n  id {case.case_id}\n  {case.state.value}, priority {case.priority.value}")
    _say(f"  claim: {case.claim or '—'}")
    if case.correction is not None:
        _say(f"  correction by {case.correction.issued_by} at {_local(monitor, case.correction.issued_at)}")
    _say(f"  shared with: {', '.join(case.agencies) or '—'}; assignee: {case.assignee or '—'}")
    _say("timeline:")
    for event in timeline:
        move = f" {event.from_state or ''}→{event.to_state}" if event.to_state else ""
        _say(f"  {_local(monitor, event.at)}  {event.kind.value}{move}  by {event.actor}")
    return 0


def _spread(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, SEE_ROLES)
    case = visible_case(monitor.cases.store, monitor.cases.config, key, args.case)
    spread = _claims(monitor.cases).spread(case.case_id, monitor.settings.zone)

    def text() -> str:
        if spread.registered is None:
            return f"case {case.case_id} has not registered its claim"
        lines = [
            f"claim {spread.claim_id}: {spread.repeats} repeats ({spread.repeats_after_correction} after the "
            f"correction), {spread.corrections} relaying the correction",
            "day          repeats  corrections",
        ]
        lines += [f"{day.day}  {day.repeats:>7}  {day.corrections:>11}" for day in spread.days]
        return "\n".join(lines)

    _show(spread, args.json, text)
    return 0


# -- working a case ---------------------------------------------------------------------------------


def _open_case(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    if args.alert is None and not args.doc:
        raise InvalidInputError("a case comes from an alert (--alert) or documents (--doc)")
    spec = CaseOpen(
        title=args.title,
        priority=CasePriority(args.priority),
        claim=args.claim,
        alert_id=args.alert,
        doc_ids=tuple(args.doc or ()),
    )
    case, evidence = monitor.cases.open_case(spec, _actor(key))
    _say(f"opened case {case.case_id} ({len(evidence)} evidence snapshots)")
    return 0


def _move(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    case = monitor.cases.transition(args.case, CaseState(args.state), _actor(key), args.note)
    _say(f"case {case.case_id} is {case.state.value}")
    return 0


def _set_claim(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    monitor.cases.set_claim(args.case, args.text, _actor(key))
    _say(f"claim of case {args.case} recorded")
    return 0


def _set_correction(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    correction = Correction.model_validate(
        {"statement": args.statement, "url": args.url, "issued_by": args.issued_by, "issued_at": args.issued_at}
    )
    monitor.cases.set_correction(args.case, correction, _actor(key))
    _say(f"correction of case {args.case} recorded")
    return 0


def _register(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    keywords = tuple(args.keyword) if args.keyword else None
    claims = _claims(monitor.cases)
    registered = claims.register(args.case, _actor(key), keywords, progress=lambda line: print(line, file=sys.stderr))
    spread = claims.spread(args.case, monitor.settings.zone)
    _say(
        f"registered claim {registered.claim.id}: {spread.repeats} stored posts repeat it and {spread.corrections} "
        "relay the correction; later posts are flagged and linked to the case as they arrive"
    )
    return 0


def _withdraw(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    withdrawn = _claims(monitor.cases).withdraw(args.case, _actor(key), args.why)
    _say(f"withdrew claim {withdrawn.claim.id}")
    return 0


def _share(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    monitor.cases.config.check_agency(args.agency)
    share = monitor.cases.store.unshare if args.stop else monitor.cases.store.share
    case = share(args.case, args.agency, _actor(key))
    _say(f"case {case.case_id} is shared with: {', '.join(case.agencies) or '—'}")
    return 0


def _comment(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    comment = monitor.cases.store.comment(args.case, _actor(key), args.text)
    _say(f"comment {comment.comment_id} added to case {args.case}")
    return 0


def _attach(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    check_role(key, WORK_ROLES)
    evidence, new = monitor.cases.evidence.attach(args.case, args.doc, _actor(key))
    state = "attached" if new else "already attached"
    _say(f"document {args.doc} {state} as evidence {evidence.evidence_id}")
    return 0


# -- exports ----------------------------------------------------------------------------------------


def _requester(monitor: Monitor, key: ApiKey, purpose: str) -> Requester:
    return requester_for(key, monitor.cases.config, purpose, monitor.settings.zone)


def _written(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write to ``path`` through a temporary file, so a failed export leaves no partial file behind."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as handle:
            write(handle)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        if not path.parent.is_dir():
            raise MonitorError(f"cannot write {path}: the folder {path.parent} does not exist") from exc
        raise MonitorError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _export(monitor: Monitor, key: ApiKey, args: argparse.Namespace) -> int:
    export = CASE_EXPORTS[args.kind]
    check_role(key, export.roles)
    if export.of_one_case and args.case is None:
        raise InvalidInputError(f"the {args.kind} export needs --case")
    requester = _requester(monitor, key, args.purpose)
    prepared = export.prepare(
        ExportRequest(
            cases=monitor.cases,
            requester=requester,
            pseudonyms=lambda: Pseudonymizer.for_data_dir(monitor.settings.data_dir),
            case_id=args.case,
            english_summary=args.english,
        )
    )
    out = args.out or Path(prepared.filename)
    _written(out, prepared.write)
    _say(f"wrote {out} (export {requester.export_id}, logged with purpose '{requester.purpose}')")
    return 0


# -- the parser -------------------------------------------------------------------------------------


def _run(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """``handler`` over an opened monitor, acting as the key given (read before the monitor opens)."""

    def run(args: argparse.Namespace) -> int:
        secret = _secret(args)
        return with_monitor(lambda monitor, _: handler(monitor, monitor.keys.authenticate(secret), args))(args)

    return run


def add_case_commands(commands: Any) -> None:
    """Install ``monitor cases ...`` on the main parser's sub-commands."""
    cases = commands.add_parser(
        "cases",
        help="work cases and export them (acts as the API key in $MONITOR_API_KEY or --key-file)",
    )
    sub = cases.add_subparsers(dest="cases_command", required=True)

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        parser.set_defaults(handler=_run(handler))
        return parser

    _add_reading(command)
    _add_workflow(command)
    _add_claim_commands(command)
    _add_exports(command)
    key_file = (("--key-file",), {"type": Path, "help": f"file holding the API key's secret (else ${KEY_VARIABLE})"})
    share_options(cases, [key_file])  # before or after the case command: "cases list --key-file k"


def _add_reading(command: Command) -> None:
    listing = command("list", _list, "cases, newest first (liaisons: those shared with their agency)")
    listing.add_argument("--state", action="append", choices=[s.value for s in CaseState])
    listing.add_argument("--limit", type=bounded_int(CaseQuery, "limit"), default=50)
    listing.add_argument("--json", action="store_true")
    show = command("show", _show_case, "one case with its service record and timeline")
    show.add_argument("case")
    show.add_argument("--json", action="store_true")
    spread = command("spread", _spread, "repeats of the registered claim vs posts relaying the correction, per day")
    spread.add_argument("case")
    spread.add_argument("--json", action="store_true")


def _add_workflow(command: Command) -> None:
    opening = command("open", _open_case, "open a case from an alert and/or documents")
    opening.add_argument("--title", required=True)
    opening.add_argument("--alert", help="the alert id")
    opening.add_argument("--doc", action="append", help="a document id (repeatable)")
    opening.add_argument("--priority", choices=[p.value for p in CasePriority], default=CasePriority.NORMAL.value)
    opening.add_argument("--claim", help="the false claim, in a sentence")
    move = command("move", _move, "move a case to another state")
    move.add_argument("case")
    move.add_argument("state", choices=[s.value for s in CaseState])
    move.add_argument("--note", help="why (kept in the timeline)")
    share = command("share", _share, "share a case with an agency (--stop to stop sharing)")
    share.add_argument("case")
    share.add_argument("agency")
    share.add_argument("--stop", action="store_true")
    comment = command("comment", _comment, "comment on a case")
    comment.add_argument("case")
    comment.add_argument("text")
    attach = command("attach", _attach, "attach a document as evidence (a frozen snapshot)")
    attach.add_argument("case")
    attach.add_argument("doc")


def _add_claim_commands(command: Command) -> None:
    claim = command("claim", _set_claim, "record the false claim in a sentence")
    claim.add_argument("case")
    claim.add_argument("text")
    correction = command("correction", _set_correction, "record the official correction")
    correction.add_argument("case")
    correction.add_argument("--statement", required=True)
    correction.add_argument("--url", required=True)
    correction.add_argument("--issued-by", required=True)
    correction.add_argument("--issued-at", required=True, help="ISO time with offset, e.g. 2026-11-04T14:00+07:00")
    register = command("register", _register, "register the claim and correction in the claim registry")
    register.add_argument("case")
    register.add_argument("--keyword", action="append", help="another phrasing that signals the claim (repeatable)")
    withdraw = command("withdraw", _withdraw, "stop matching the case's registered claim")
    withdraw.add_argument("case")
    withdraw.add_argument("--why", required=True)


def _add_exports(command: Command) -> None:
    export = command("export", _export, "export a case (police ZIP, briefing DOCX) or the register (XLSX)")
    export.add_argument("kind", choices=list(CASE_EXPORTS))
    export.add_argument("--case", help="the case (police and briefing)")
    export.add_argument("--purpose", required=True, help="why the export is needed (custody log)")
    export.add_argument("--out", type=output_file, help="where to write it (default: a name in this folder)")
    export.add_argument("--english", help="English summary for the briefing")
