"""``monitor models retrain TASK``: the command line over :mod:`models.retrain`.

    monitor models retrain sentiment [--holdout 0.3] [--out DIR] [--dry-run] [--corrections FILE.jsonl]

Progress goes to standard error; the comparison table and the decision to standard output.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from models.cli_args import progress, share_argument
from monitor.config.settings import load_settings

HOLDOUT_SHARE = share_argument(1.0, "0.3")


def comparison_table(report: dict[str, Any]) -> str:
    """The held-back comparison as a small fixed-width table: overall numbers, then F1 per label (with the
    number held back; a label no correction has but a model predicted shows 0)."""
    current, candidate = report["current"]["metrics"], report["candidate"]["metrics"]
    counts = report["corrections"]["held_back_labels"]
    rows = [
        ("", "current", "candidate"),
        ("macro-F1", f"{current['macro_f1']:.3f}", f"{candidate['macro_f1']:.3f}"),
        ("accuracy", f"{current['accuracy']:.3f}", f"{candidate['accuracy']:.3f}"),
    ]
    # The labels held back, then any other label a model predicted: macro-F1 averages over all of them.
    strays = sorted({*current.get("predicted", {}), *candidate.get("predicted", {})} - set(counts))
    for label in [*counts, *strays]:
        f1 = [m["per_class"].get(label, {}).get("f1", 0.0) for m in (current, candidate)]
        rows.append((f"F1 {label} ({counts.get(label, 0)})", f"{f1[0]:.3f}", f"{f1[1]:.3f}"))
    width = max(len(row[0]) for row in rows)
    lines = [f"{name:<{width}}  {a:>9}  {b:>9}" for name, a, b in rows]
    return "\n".join(lines)


def cmd_retrain(args: argparse.Namespace) -> int:
    from models.corrections import read_corrections_file, read_store_corrections  # noqa: PLC0415
    from models.retrain import MIN_HELD_BACK, retrain  # noqa: PLC0415

    settings = load_settings(args.config_dir)
    skipped = 0
    if args.corrections:
        corrections = read_corrections_file(Path(args.corrections), args.task)
        source = str(args.corrections)
    else:
        stored = read_store_corrections(settings, args.task)
        corrections, skipped, source = stored.corrections, stored.skipped, stored.source
    note = f" ({skipped} corrected documents are no longer stored and were skipped)" if skipped else ""
    progress(f"{len(corrections)} {args.task} corrections from {source}{note}")
    report = retrain(
        args.task,
        corrections,
        config_dir=settings.config_dir,
        data_dir=settings.data_dir,
        source=source,
        out_dir=Path(args.out) if args.out else None,
        holdout=args.holdout,
        dry_run=args.dry_run,
        skipped=skipped,
        progress=progress,
    )
    held = report["corrections"]
    print(
        f"Held-back corrections: {held['held_back']} (at least {MIN_HELD_BACK} needed); "
        f"the candidate trained on {report['candidate']['corpus_rows']} corpus rows + {held['training']} corrections."
    )
    print(comparison_table(report))
    print(report["reason"] + ".")
    print(f"Candidate: {report['candidate']['path']} (report: retrain.json there)")
    if report["decision"] == "pinned" and report["hidden_by_models_yaml"]:
        print(
            f"Pinned in {report['pins_file']}, but {settings.config_dir}/models.yaml pins {args.task} by hand "
            "and that entry wins: remove it to score with the new model."
        )
    elif report["decision"] == "pinned":
        print(f"Pinned in {report['pins_file']}; the service scores with it from its next start.")
    return 0


def add_retrain_command(sub: Any) -> None:
    """Install ``monitor models retrain`` under ``monitor models``."""
    from models.shipped import SHIPPED_TASKS  # noqa: PLC0415

    retrain = sub.add_parser(
        "retrain",
        help="retrain a default model on the open corpus plus officers' corrections; pin it only if it is better",
    )
    retrain.add_argument("task", choices=SHIPPED_TASKS)
    retrain.add_argument(
        "--holdout",
        type=HOLDOUT_SHARE,
        default=0.3,
        help="share of the corrections held back to judge the new model against the current one (default 0.3)",
    )
    retrain.add_argument("--out", help="directory of the new model (default: <data_dir>/models/TASK-<UTC time>)")
    retrain.add_argument("--dry-run", action="store_true", help="train and compare, but never pin")
    retrain.add_argument(
        "--corrections", help="read the corrections from this JSONL (as export-feedback writes it), not the store"
    )
    retrain.set_defaults(handler=cmd_retrain)
