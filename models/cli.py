"""``monitor models ...``: train, evaluate, retrain from officers' corrections, build the shipped models.

    monitor models train TASK --data TRAIN.jsonl [--dev DEV.jsonl] --out DIR
                         [--backend sklearn|transformers] [--base PATH] [--word-segmentation none|underthesea]
    monitor models evaluate MODEL --data TEST.jsonl        # MODEL: a model directory or builtin:NAME
    monitor models train-research --data-dir DIR --out DIR  # every research-data model, trained and pinned
    monitor models retrain TASK [--holdout 0.3] [--dry-run] # corpus + corrections; pinned only when better
    monitor models export-feedback TASK [--out FILE]
    monitor models build-shipped [TASK ...]                 # maintainers: models/shipped/ from the open corpus

Heavy imports (scikit-learn, torch) happen inside the handlers: the rest of the command line stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from models.cli_args import progress, share_argument
from models.retrain_cli import add_retrain_command
from models.shipped import SHIPPED_TASKS
from monitor.analytics.feedback import TASK_LABELS
from monitor.config.settings import load_settings
from monitor.context import build_monitor

BACKENDS = ("sklearn", "transformers")


HOLDOUT_SHARE = share_argument(0.5, "0.1")


def cmd_train(args: argparse.Namespace) -> int:
    from models.trained.modeldir import model_digest  # noqa: PLC0415
    from models.trained.preprocess import Preprocessing  # noqa: PLC0415
    from models.trained.train import train_model  # noqa: PLC0415

    if args.backend == "transformers" and not args.base:
        raise argparse.ArgumentTypeError("--backend transformers needs --base (a model directory or a cached hub id)")
    card = train_model(
        args.task,
        Path(args.data),
        Path(args.out),
        dev_path=Path(args.dev) if args.dev else None,
        backend=args.backend,
        base=args.base,
        progress=progress,
        holdout=args.holdout,
        # Unset: the base decides (PhoBERT's tokenizer means segmented text); the card records the choice.
        preprocessing=Preprocessing(word_segmentation=args.word_segmentation) if args.word_segmentation else None,
    )
    digest = model_digest(Path(args.out))
    summary = {k: card.metrics.get(k) for k in ("accuracy", "macro_f1", "weighted_f1", "roc_auc") if k in card.metrics}
    progress(f"metrics ({card.metrics.get('source', 'dev file')}): {json.dumps(summary)}")
    print(
        f"Model written to {args.out} (digest {digest}).\n"
        f"To score with it, add to configs/models.yaml:\n"
        f"trained:\n  {args.task}:\n    path: {args.out}\n    sha256: {digest}",
        flush=True,
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from models.builtin_classifiers import BUILTIN_PREFIX, builtin_classifier  # noqa: PLC0415
    from models.shipped.loader import load_shipped  # noqa: PLC0415
    from models.trained.dataset import load_labelled  # noqa: PLC0415
    from models.trained.modeldir import load_model  # noqa: PLC0415
    from models.trained.train import evaluate_classifier  # noqa: PLC0415

    data = load_labelled(Path(args.data))
    classifier: Any
    if args.model.startswith(BUILTIN_PREFIX):
        classifier = builtin_classifier(args.model, load_settings(args.config_dir).config_dir)
        model: dict[str, Any] = {"model": args.model}
        shipped = load_shipped(args.model.removeprefix(BUILTIN_PREFIX))
        if shipped is not None:  # name the exact model a fresh install scores with
            model |= {"name": shipped.model.name, "version": shipped.model.version, "task": shipped.card.task}
    else:
        card, classifier = load_model(Path(args.model))
        model = {"model": args.model, "name": card.name, "version": card.version, "task": card.task}
    progress(f"evaluating {args.model} on {len(data)} examples from {args.data}...")
    metrics = evaluate_classifier(classifier, data)
    print(json.dumps({**model, "data": str(args.data), "data_sha256": data.sha256, **metrics}, ensure_ascii=False))
    return 0


def cmd_export_feedback(args: argparse.Namespace) -> int:
    from monitor.analytics.feedback import training_examples  # noqa: PLC0415

    monitor = build_monitor(load_settings(args.config_dir))
    written = skipped = 0
    try:
        out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
        try:
            for example in training_examples(monitor.feedback, monitor.store, args.task):
                if isinstance(example, str):
                    skipped += 1
                    continue
                out.write(json.dumps({**example.model_dump(mode="json"), "task": args.task}, ensure_ascii=False) + "\n")
                written += 1
        finally:
            if out is not sys.stdout:
                out.close()
    finally:
        monitor.close()
    note = f"; {skipped} corrected documents are no longer stored and were skipped" if skipped else ""
    progress(f"{written} {args.task} corrections exported{' to ' + args.out if args.out else ''}{note}")
    return 0


def cmd_build_shipped(args: argparse.Namespace) -> int:
    from models.shipped.build import build_shipped  # noqa: PLC0415

    unknown = sorted(set(args.tasks) - set(SHIPPED_TASKS))
    if unknown:
        raise argparse.ArgumentTypeError(f"no shipped model for {unknown} (shipped: {', '.join(SHIPPED_TASKS)})")
    digests = build_shipped(args.tasks or SHIPPED_TASKS, progress=progress)
    print(json.dumps(digests, indent=2))
    return 0


def add_commands(commands: Any) -> None:
    """Install ``monitor models`` on the command line (registered by :mod:`models.plugin`)."""
    models = commands.add_parser("models", help="train and evaluate text classifiers; export label corrections")
    sub = models.add_subparsers(dest="models_command", required=True)

    train = sub.add_parser("train", help="train a classifier on labelled JSONL (text, label)")
    train.add_argument("task", help="what the labels mean: sentiment, topic, toxicity, misinformation, or your own")
    train.add_argument("--data", required=True, help="training JSONL, one {'text': ..., 'label': ...} per line")
    train.add_argument("--dev", help="development JSONL for model selection and the reported metrics")
    train.add_argument("--out", required=True, help="model directory to create")
    train.add_argument(
        "--holdout",
        type=HOLDOUT_SHARE,
        help="without --dev: measure on this share of the data held out (e.g. 0.1) instead of 5-fold cross-validation",
    )
    train.add_argument("--backend", choices=BACKENDS, default="sklearn")
    train.add_argument("--base", help="transformers: base model directory (or a hub id already in the local cache)")
    train.add_argument(
        "--word-segmentation",
        choices=("none", "underthesea"),
        help="transformers: join each word's syllables with '_' before the tokenizer, in training and scoring "
        "(default: underthesea for a PhoBERT base, none otherwise); recorded in model.json",
    )
    train.set_defaults(handler=cmd_train)

    evaluate = sub.add_parser("evaluate", help="print metrics of a model on labelled JSONL, as one JSON object")
    evaluate.add_argument(
        "model",
        help="a model directory, or builtin:NAME: sentiment, toxicity, topic (the shipped models), misinfo, "
        "lexicon-sentiment, lexicon-toxicity",
    )
    evaluate.add_argument("--data", required=True, help="labelled JSONL to evaluate on")
    evaluate.set_defaults(handler=cmd_evaluate)

    build = sub.add_parser(
        "build-shipped", help="maintainers: retrain the models shipped in models/shipped/ from the open corpus"
    )
    build.add_argument("tasks", nargs="*", metavar="TASK", help=f"of {', '.join(SHIPPED_TASKS)} (default: all)")
    build.set_defaults(handler=cmd_build_shipped)

    from models.trained.research.command import add_research_command  # noqa: PLC0415 (light: no scikit-learn)

    add_research_command(sub)

    export = sub.add_parser("export-feedback", help="write officers' label corrections as training JSONL")
    export.add_argument("task", choices=sorted(TASK_LABELS))
    export.add_argument("--out", help="output file (default: standard output)")
    export.set_defaults(handler=cmd_export_feedback)

    add_retrain_command(sub)
