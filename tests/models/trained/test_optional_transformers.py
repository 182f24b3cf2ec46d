"""The transformers backend is an optional extra: without torch the service installs, scores and explains.

Each test runs a fresh interpreter whose import system refuses ``torch`` and ``transformers`` (what a
default ``pip install .`` looks like), and drives the real command line in it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from models.trained.modeldir import CARD_FILE, ModelCard, model_digest, now_utc
from tests.conftest import REPO

BLOCKED_RUN = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"torch", "transformers"}:
                raise ImportError(f"No module named '{name}' (blocked: a default install)")
            return None

    sys.meta_path.insert(0, NoTorch())
    from monitor.cli import main
    code = main(sys.argv[1:])
    loaded = sorted(name for name in sys.modules if name.split(".")[0] in {"torch", "transformers"})
    print(f"exit={code} heavy-modules={loaded}")
    """
)


def _run_without_torch(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        timeout=300,
        check=False,
    )


def test_the_default_analyzer_scores_without_torch(config_dir: Path) -> None:
    result = _run_without_torch("--config-dir", str(config_dir), "crawl", "--once")
    assert "204 new documents" in result.stdout, result.stderr
    assert "exit=0 heavy-modules=[]" in result.stdout
    searched = _run_without_torch("--config-dir", str(config_dir), "search", "ngập", "--limit", "1", "--json")
    [line, summary] = searched.stdout.splitlines()
    sentiment = json.loads(line)["analysis"]["sentiment"]
    assert (sentiment["label"], sentiment["model"]["name"]) == ("negative", "sentiment-vi-open")  # the shipped model
    assert summary == "exit=0 heavy-modules=[]"


def _transformers_model(directory: Path) -> str:
    """A model directory whose card says transformers (no weights needed: loading stops at the import)."""
    directory.mkdir(parents=True)
    card = ModelCard(
        task="sentiment",
        backend="transformers",
        name="phobert-sentiment",
        version="20261101000000",
        labels=("negative", "neutral", "positive"),
        created_at=now_utc(),
        train_data={"path": "train.jsonl", "sha256": "0" * 64, "rows": 1},
        metrics={},
        params={"base": "vinai/phobert-base"},
        files={},
    )
    (directory / CARD_FILE).write_text(card.model_dump_json(), encoding="utf-8")
    return model_digest(directory)


def test_a_configured_transformers_model_names_the_extra(config_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "models" / "sentiment"
    digest = _transformers_model(model)
    models_yaml = config_dir / "models.yaml"
    text = models_yaml.read_text(encoding="utf-8").replace(
        "trained: {}", f"trained:\n  sentiment:\n    path: {model}\n    sha256: {digest}"
    )
    models_yaml.write_text(text, encoding="utf-8")
    result = _run_without_torch("--config-dir", str(config_dir), "config", "check")
    assert "Traceback" not in result.stderr
    assert "the transformers backend needs the optional 'transformers' extra (torch and transformers)" in result.stderr
    assert "pip install 'dongnai-monitor[transformers]'" in result.stderr
    assert str(model) in result.stderr
    assert result.stdout.strip().startswith("exit=2")  # a configuration problem
