"""``monitor models retrain``: officers' corrections, read from a real SQLite store, train a candidate with
the shipped recipe, and the candidate is pinned only when it beats the current model on held-back corrections.

The fixture ``tests/fixtures/retrain/sentiment_corrections.jsonl`` holds judgements of this office that a
model trained on the open corpus (and the lexicon) does not share: scam job ads ("việc nhẹ lương cao",
"Tuyen CTV lam tai nha") are negative, shops' giveaway posts are neutral, plus sarcasm (negative) and
official denials of rumours (neutral), with and without diacritics. Each run below is one real fit of the
recipe (module-scoped, shared by the tests that read it).
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from models.builtin import BuiltinAnalyzer
from models.config import load_models_config
from models.corrections import Correction
from models.pins import pins_path
from models.retrain import REPORT_FILE, current_classifier, retrain
from models.retrain_cli import comparison_table
from models.shipped.recipe import training_rows
from models.trained.modeldir import model_digest, read_card
from monitor.cli import main
from monitor.errors import ModelError
from monitor.ingestion.scoring import AnalysisContext
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at

FIXTURE = Path(__file__).parent.parent / "fixtures" / "retrain" / "sentiment_corrections.jsonl"
LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Run:
    config: Path
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        [path] = (self.config / "var" / "models").glob(f"*/{REPORT_FILE}")
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return report


def _fixture_rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def _noise_rows() -> list[dict[str, str]]:
    """The same texts with labels that follow nothing in them (a rotation): nothing to learn."""
    return [{**row, "label": LABELS[(i * 7) % 3]} for i, row in enumerate(_fixture_rows())]


def _store_corrections(config: Path, rows: list[dict[str, str]], *, gone: int = 0) -> None:
    """Store each row as a Facebook post and an officer's correction of its sentiment; ``gone`` more
    corrections name documents that are no longer stored."""
    monitor = open_monitor(config)
    try:
        start = at("2026-11-20 08:00")
        documents = [
            analyzed(row["text"], post_id=row["id"], published=start + timedelta(minutes=i))
            for i, row in enumerate(rows)
        ]
        monitor.store.upsert(documents)
        for document, row in zip(documents, rows, strict=True):
            monitor.feedback.add(document.document.doc_id, "sentiment", row["label"], by="cán bộ A (test)")
        for i in range(gone):
            monitor.feedback.add(f"deleted-{i}", "sentiment", "negative", by="cán bộ A (test)")
    finally:
        monitor.close()


def _run(*args: str) -> tuple[int, str, str]:
    """Run the CLI, capturing by hand (module-scoped fixtures cannot use capsys)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(args))
    return code, stdout.getvalue(), stderr.getvalue()


def _retrain(config: Path, *args: str) -> tuple[int, str, str]:
    return _run("--config-dir", str(config), "models", "retrain", "sentiment", *args)


@pytest.fixture(scope="module")
def learnt(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The office's corrections in the store; the current model is what a fresh install scores with."""
    config = make_config_dir(tmp_path_factory.mktemp("learnt") / "configs")
    _store_corrections(config, _fixture_rows(), gone=2)
    return Run(config, *_retrain(config))


@pytest.fixture(scope="module")
def noise(tmp_path_factory: pytest.TempPathFactory) -> Run:
    config = make_config_dir(tmp_path_factory.mktemp("noise") / "configs")
    _store_corrections(config, _noise_rows())
    return Run(config, *_retrain(config))


def test_corrections_the_current_model_gets_wrong_make_a_better_model_and_it_is_pinned(learnt: Run) -> None:
    assert learnt.code == 0, learnt.err
    report = learnt.report
    assert report["decision"] == "pinned"
    assert report["current"]["source"] == "built-in"
    current, candidate = report["current"]["metrics"], report["candidate"]["metrics"]
    assert candidate["macro_f1"] > current["macro_f1"]
    assert candidate["accuracy"] > current["accuracy"]
    # The service's configuration now names the candidate, by its digest.
    pinned = load_models_config(learnt.config).trained.sentiment
    assert pinned is not None
    model_dir = Path(report["candidate"]["path"])
    assert model_dir.parent == learnt.config / "var" / "models"
    assert pinned.path == model_dir
    assert pinned.sha256 == model_digest(model_dir) == report["candidate"]["sha256"]
    assert report["pins_file"] == str(pins_path(learnt.config))
    # The table and the decision are printed; progress went to stderr.
    assert "macro-F1" in learnt.out
    assert "F1 negative" in learnt.out
    assert "Pinned in" in learnt.out
    assert "measuring both models" in learnt.err
    assert "2 corrected documents are no longer stored" in learnt.err
    assert report["corrections"]["skipped_documents_gone"] == 2


def test_the_held_back_corrections_never_train(learnt: Run) -> None:
    report = learnt.report
    corrections = report["corrections"]
    assert corrections["total"] == 90
    assert corrections["held_back"] >= 20
    assert corrections["training"] + corrections["held_back"] == 90
    assert not set(corrections["training_ids"]) & set(corrections["held_back_ids"])
    # Stratified: every label of the corrections is on both sides.
    assert set(corrections["held_back_labels"]) == set(corrections["training_labels"]) == {"negative", "neutral"}
    # The model's card counts exactly the corpus and the training share: not one held-back row.
    card = read_card(Path(report["candidate"]["path"]))
    corpus_rows = len(training_rows("sentiment"))
    assert report["candidate"]["corpus_rows"] == corpus_rows
    assert card.train_data.rows == card.params["training_rows"] == corpus_rows + corrections["training"]
    assert card.name == "sentiment-vi-office"
    assert report["candidate"]["metrics"]["n"] == corrections["held_back"]
    assert sum(report["candidate"]["metrics"]["predicted"].values()) == corrections["held_back"]


def test_the_pinned_candidate_is_the_current_model_of_the_next_run(learnt: Run) -> None:
    current = current_classifier("sentiment", learnt.config)
    assert current.source == "models.pinned.yaml"
    assert current.path == learnt.report["candidate"]["path"]
    assert current.classifier.labels == ("negative", "neutral", "positive")


def test_the_service_scores_with_the_retrained_model(learnt: Run) -> None:
    analyzer = BuiltinAnalyzer(AnalysisContext(config_dir=learnt.config))
    post = analyzed(
        "Tuyen CTV online tai nha, luong 400k/ngay, khong can kinh nghiem, ib zalo ngay",
        post_id="new",
        published=at("2026-11-30 09:00"),
    ).document
    [analysis] = analyzer.analyze([post])
    assert analysis.sentiment.model.name == "sentiment-vi-office"
    assert analysis.sentiment.label.value == "negative"


def test_noise_is_not_pinned(noise: Run) -> None:
    assert noise.code == 0, noise.err
    report = noise.report
    assert report["decision"] == "kept"
    assert report["candidate"]["metrics"]["macro_f1"] <= report["current"]["metrics"]["macro_f1"]
    assert "not better" in noise.out
    assert not pins_path(noise.config).exists()
    assert load_models_config(noise.config).trained.sentiment is None


def _export(learnt: Run, folder: Path) -> Path:
    exported = folder / "corrections.jsonl"
    code, _, err = _run(
        "--config-dir", str(learnt.config), "models", "export-feedback", "sentiment", "--out", str(exported)
    )
    assert code == 0, err
    return exported


def test_a_rerun_on_the_same_corrections_ties_and_keeps_the_pin(learnt: Run, tmp_path: Path) -> None:
    pins = pins_path(learnt.config).read_text(encoding="utf-8")
    out = tmp_path / "rerun"
    code, stdout, err = _retrain(learnt.config, "--corrections", str(_export(learnt, tmp_path)), "--out", str(out))
    assert code == 0, err
    report = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))
    # The same corrections, split the same way, train the same model: equal is not better.
    assert report["current"]["source"] == "models.pinned.yaml"
    assert report["current"]["path"] == learnt.report["candidate"]["path"]
    assert report["candidate"]["metrics"]["macro_f1"] == report["current"]["metrics"]["macro_f1"]
    assert report["decision"] == "kept"
    assert "not better" in stdout
    assert pins_path(learnt.config).read_text(encoding="utf-8") == pins


def test_exported_corrections_in_a_dry_run_are_judged_but_never_pinned(learnt: Run, tmp_path: Path) -> None:
    exported = _export(learnt, tmp_path)
    config = make_config_dir(tmp_path / "configs")
    out = tmp_path / "candidate"
    code, stdout, err = _retrain(config, "--corrections", str(exported), "--dry-run", "--out", str(out))
    assert code == 0, err
    report = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))
    assert report["decision"] == "dry-run"
    assert report["corrections"]["source"] == str(exported)
    # The same corrections give the same split, whatever their source.
    assert report["corrections"]["held_back_ids"] == learnt.report["corrections"]["held_back_ids"]
    assert "--dry-run never pins" in stdout
    assert not pins_path(config).exists()


def test_too_few_corrections_are_not_judged_and_a_hand_pin_is_named(learnt: Run, tmp_path: Path) -> None:
    config = make_config_dir(tmp_path / "configs")
    _store_corrections(config, _fixture_rows()[::3])  # 30 corrections: 8 would be held back
    model = Path(learnt.report["candidate"]["path"])
    (config / "models.yaml").write_text(
        f"trained:\n  sentiment:\n    path: {model}\n    sha256: {model_digest(model)}\n", encoding="utf-8"
    )
    code, _, err = _retrain(config)
    assert code == 1
    assert "too few sentiment corrections" in err
    assert "30 corrections, 8 held back" in err
    assert "at least 20" in err
    assert f"{config / 'models.yaml'} pins sentiment by hand" in err
    assert not pins_path(config).exists()
    assert not (config / "var" / "models").exists()
    assert current_classifier("sentiment", config).source == "models.yaml"


def test_no_corrections_and_no_store_are_clear_errors(tmp_path: Path) -> None:
    config = make_config_dir(tmp_path / "configs")
    code, _, err = _retrain(config)
    assert code == 1
    assert "no database at" in err
    assert str(config / "var") in err
    open_monitor(config).close()
    code, _, err = _retrain(config)
    assert code == 1
    assert "no sentiment corrections to learn from" in err


def test_only_the_corpus_tasks_can_be_retrained(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        _retrain_task(tmp_path, "misinformation")
    corrections = [Correction(f"d{i}", "tin đồn", "unreliable") for i in range(10)]
    with pytest.raises(ModelError, match="the open corpus labels only sentiment, topic, toxicity"):
        retrain("misinformation", corrections, config_dir=tmp_path, data_dir=tmp_path, source="test", progress=print)


def _retrain_task(tmp_path: Path, task: str) -> int:
    return main(["--config-dir", str(tmp_path), "models", "retrain", task])


def test_the_table_shows_a_label_a_model_predicted_that_no_correction_has() -> None:
    def metrics(macro: float, predicted: dict[str, int], f1: dict[str, float]) -> dict[str, Any]:
        per_class = {label: {"f1": value} for label, value in f1.items()}
        return {"macro_f1": macro, "accuracy": 0.9, "per_class": per_class, "predicted": predicted}

    report = {
        "corrections": {"held_back_labels": {"negative": 14, "neutral": 14}},
        "current": {"metrics": metrics(0.5, {"neutral": 28}, {"negative": 0.0, "neutral": 0.667})},
        "candidate": {"metrics": metrics(0.63, {"negative": 14, "neutral": 12, "positive": 2}, {"negative": 0.929})},
    }
    lines = comparison_table(report).splitlines()
    assert lines[1].split() == ["macro-F1", "0.500", "0.630"]
    assert [line.split()[1] for line in lines[3:]] == ["negative", "neutral", "positive"]
    assert lines[-1].split() == ["F1", "positive", "(0)", "0.000", "0.000"]
