"""``monitor models train-research``: train and pin every research-data model in one command.

    monitor models train-research --data-dir ../shared/data --out var/models/research [--task sentiment ...]
                                  [--no-pin]

For each task (sentiment, toxicity, misinformation, topic) whose datasets are present in the folder, the
command trains a model into ``<out>/<task>``, prints its per-dataset metrics, and pins it in
``<config_dir>/models.pinned.yaml`` (:mod:`models.pins`), which the service merges under
``models.yaml``. A task whose datasets are all missing is skipped with a line saying so.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from models.config import MODELS_FILE, Task, load_models_config

TOPIC_MIN_PROBABILITY = 0.5  # the generic news topic joins the keyword topics only when this sure
PIN_OPTIONS: dict[Task, dict[str, Any]] = {
    Task.MISINFORMATION: {"positive_label": "unreliable"},
    Task.TOPIC: {"min_probability": TOPIC_MIN_PROBABILITY},
}


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def train_research_models(
    data_dir: Path,
    out_dir: Path,
    config_dir: Path | None,
    *,
    tasks: list[str] | None = None,
    command: str = "monitor models train-research",
    progress: Any = _progress,
) -> dict[str, Path]:
    """Train (and, with a ``config_dir``, pin) the research model of each task; returns task -> model dir.

    Raises:
        ModelError: the data folder is missing, a data file is malformed (file and line named), or no
            task had any dataset.
    """
    from models.pins import write_pin  # noqa: PLC0415
    from models.trained.research.build import build_task_model  # noqa: PLC0415 (scikit-learn is heavy)
    from models.trained.research.datasets import TASKS, load_task_data  # noqa: PLC0415
    from monitor.errors import ModelError  # noqa: PLC0415

    if not data_dir.is_dir():
        raise ModelError(f"{data_dir}: research data folder not found (expected a folder laid out like ../shared/data)")
    built: dict[str, Path] = {}
    for spec in TASKS:
        if tasks and spec.task.value not in tasks:
            continue
        datasets = load_task_data(data_dir, spec, progress)
        if not datasets:
            progress(f"{spec.task.value}: skipped, none of its datasets is in {data_dir}")
            continue
        names = ", ".join(d.spec.name for d in datasets)
        progress(f"{spec.task.value}: training on {names}")
        model = build_task_model(
            spec,
            datasets,
            data_dir,
            out_dir / spec.task.value,
            progress=progress,
        )
        progress(
            f"{spec.task.value}: wrote {model.directory} ({model.size_bytes / 1e6:.1f} MB, "
            f"{model.seconds:.0f} s), digest {model.digest}"
        )
        if config_dir is not None:
            pins = write_pin(
                config_dir,
                spec.task.value,
                model.directory,
                model.digest,
                command=command,
                **PIN_OPTIONS.get(spec.task, {}),
            )
            progress(f"{spec.task.value}: pinned in {pins}")
        built[spec.task.value] = model.directory
    if not built:
        raise ModelError(
            f"{data_dir}: no research dataset found for any task (see the layout in docs/research-models.md)"
        )
    if config_dir is not None:
        _warn_hidden_pins(config_dir, built, progress)
    return built


def _warn_hidden_pins(config_dir: Path, built: dict[str, Path], progress: Any) -> None:
    """Say which new pins an entry in ``models.yaml`` overrides (the operator's hand entry wins)."""
    trained = load_models_config(config_dir).trained
    for task, directory in built.items():
        pinned = getattr(trained, task)
        if pinned is not None and Path(pinned.path).resolve() != directory.resolve():
            progress(
                f"{task}: note: {config_dir / MODELS_FILE} pins {pinned.path} for {task}, and it wins over the "
                f"model just trained; remove that entry to score with {directory}"
            )


def cmd_train_research(args: argparse.Namespace) -> int:
    """The handler of ``monitor models train-research``."""
    from monitor.config.settings import load_settings  # noqa: PLC0415

    config_dir = None if args.no_pin else load_settings(args.config_dir).config_dir
    command = shlex.join(["monitor", "models", "train-research", "--data-dir", args.data_dir, "--out", args.out])
    built = train_research_models(Path(args.data_dir), Path(args.out), config_dir, tasks=args.task, command=command)
    where = "pinned; the service scores with them on its next start" if config_dir else "not pinned (--no-pin)"
    print(f"Trained {', '.join(built)} into {args.out}: {where}.", flush=True)
    return 0


def add_research_command(sub: Any) -> None:
    """Add ``train-research`` to the ``monitor models`` subcommands."""
    parser = sub.add_parser(
        "train-research",
        help="train and pin sentiment, toxicity, misinformation and topic models from a research data folder",
    )
    parser.add_argument(
        "--data-dir", required=True, help="folder laid out like ../shared/data (docs/research-models.md)"
    )
    parser.add_argument("--out", required=True, help="where to write the model directories (one per task)")
    parser.add_argument(
        "--task", action="append", choices=[task.value for task in Task], help="train only this task (repeatable)"
    )
    parser.add_argument("--no-pin", action="store_true", help="write the models without pinning them")
    parser.set_defaults(handler=cmd_train_research)
