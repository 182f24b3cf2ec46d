from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from models.trained.modeldir import DataRef, ModelCard, load_model, model_digest, read_card, write_model
from models.trained.sklearn_backend import SklearnTextClassifier, fit
from monitor.errors import ModelError
from tests.models.trained import reviews

TEXTS = ["Sản phẩm rất tốt, shop nhiệt tình", "hang te, ko giong hinh :(("]


@pytest.fixture(scope="module")
def classifier() -> SklearnTextClassifier:
    return fit(*reviews())


def _card(labels: tuple[str, ...]) -> ModelCard:
    return ModelCard(
        task="sentiment",
        backend="sklearn",
        name="reviews",
        version="1",
        labels=labels,
        created_at=datetime(2026, 11, 4, 8, 30, tzinfo=UTC),
        train_data=DataRef(path="reviews.jsonl", sha256="ab" * 32, rows=40),
        metrics={"macro_f1": 1.0},
        params={"seed": 13},
        files={},
    )


@pytest.fixture
def model_dir(tmp_path: Path, classifier: SklearnTextClassifier) -> Path:
    directory = tmp_path / "model"
    write_model(directory, classifier, _card(classifier.labels))
    return directory


def test_round_trip(model_dir: Path, classifier: SklearnTextClassifier) -> None:
    card, loaded = load_model(model_dir, expected_digest=model_digest(model_dir))
    assert card.files.keys() == {"classifier.json", "classifier.npz"}
    assert card.labels == ("negative", "positive")
    assert card.created_at == datetime(2026, 11, 4, 8, 30, tzinfo=UTC)
    assert read_card(model_dir) == card
    assert np.array_equal(loaded.predict_proba(TEXTS), classifier.predict_proba(TEXTS))
    on_disk = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    assert on_disk["backend"] == "sklearn"
    assert on_disk["train_data"]["rows"] == 40


def test_digest_is_stable_and_accepts_a_sha256_prefix(model_dir: Path) -> None:
    digest = model_digest(model_dir)
    assert digest == model_digest(model_dir)
    assert len(digest) == 64
    load_model(model_dir, expected_digest=f"sha256:{digest.upper()}")


def test_a_tampered_file_is_named(model_dir: Path) -> None:
    artifact = model_dir / "classifier.npz"
    artifact.write_bytes(artifact.read_bytes() + b"\0")
    with pytest.raises(ModelError, match=r"classifier\.npz: sha256 .* does not match"):
        load_model(model_dir)
    with pytest.raises(ModelError, match=r"classifier\.npz"):
        model_digest(model_dir)


def test_a_missing_file_is_named(model_dir: Path) -> None:
    (model_dir / "classifier.npz").unlink()
    with pytest.raises(ModelError, match=r"classifier\.npz: listed in model\.json but missing"):
        load_model(model_dir)


def test_pin_mismatch_shows_both_digests(model_dir: Path) -> None:
    actual = model_digest(model_dir)
    pinned = "0" * 64
    with pytest.raises(ModelError, match=f"{actual} does not match the pinned {pinned}"):
        load_model(model_dir, expected_digest=pinned)


def test_an_edited_card_changes_the_digest(model_dir: Path) -> None:
    before = model_digest(model_dir)
    card_file = model_dir / "model.json"
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card["metrics"]["macro_f1"] = 0.99  # "improving" the reported quality by hand
    card_file.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="does not match the pinned"):
        load_model(model_dir, expected_digest=before)


def test_missing_directory_or_card(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "absent")
    with pytest.raises(ModelError, match=r"model\.json: missing"):
        load_model(tmp_path)


def test_invalid_card_is_explained(model_dir: Path) -> None:
    card_file = model_dir / "model.json"
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card["backend"] = "onnx"
    card["files"] = {"../../etc/passwd": "00"}
    card_file.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match=r"invalid model card: backend: .*files: .*relative path"):
        load_model(model_dir)
