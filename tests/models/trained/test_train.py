from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.trained.dataset import load_labelled
from models.trained.modeldir import load_model
from models.trained.train import evaluate_classifier, evaluate_model, train_model
from monitor.errors import ModelError
from tests.models.trained import reviews, write_jsonl

DEV_TEXTS = [
    "Chất lượng tuyệt vời, sẽ ủng hộ tiếp 😍",
    "giao hang nhanh, dong goi can than",
    "Sản phẩm bị lỗi, phí tiền :(((",
    "ko giống hình, không bao giờ mua lại",
]
DEV_LABELS = ["positive", "positive", "negative", "negative"]


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    train = write_jsonl(tmp_path / "train.jsonl", *reviews())
    dev = write_jsonl(tmp_path / "dev.jsonl", DEV_TEXTS, DEV_LABELS)
    return train, dev


def test_train_with_dev_writes_a_measured_model(tmp_path: Path, data: tuple[Path, Path]) -> None:
    train, dev = data
    messages: list[str] = []
    card = train_model("sentiment", train, tmp_path / "model", dev_path=dev, progress=messages.append)
    assert card.backend == "sklearn"
    assert card.name == "sentiment-sklearn"
    assert card.labels == ("negative", "positive")
    assert card.train_data.rows == 40
    assert card.train_data.sha256 == load_labelled(train).sha256
    assert card.dev_data is not None
    assert card.dev_data.rows == 4
    assert card.metrics["source"] == "dev file"
    assert card.metrics["macro_f1"] == 1.0
    assert card.params["seed"] == 13
    assert "fitting 40 texts…" in messages
    assert "dev macro-F1 1.000" in messages
    loaded_card, _ = load_model(tmp_path / "model")
    assert loaded_card == card

    evaluation = evaluate_model(tmp_path / "model", dev)
    assert evaluation["macro_f1"] == card.metrics["macro_f1"]
    assert evaluation["data"]["sha256"] == card.dev_data.sha256
    assert evaluation["model"]["name"] == "sentiment-sklearn"
    json.dumps(evaluation)


def test_without_dev_the_card_has_cross_validated_metrics(tmp_path: Path, data: tuple[Path, Path]) -> None:
    train, _ = data
    card = train_model("sentiment", train, tmp_path / "model")
    assert card.dev_data is None
    assert card.metrics["source"] == "5-fold cross-validation on the training data"
    assert card.metrics["n"] == 40
    assert card.metrics["macro_f1"] >= 0.9
    assert card.metrics["positive_label"] in {"negative", "positive"}  # a 20/20 tie is broken deterministically


def test_retraining_replaces_a_model_but_never_other_files(tmp_path: Path, data: tuple[Path, Path]) -> None:
    train, dev = data
    out = tmp_path / "model"
    train_model("sentiment", train, out, dev_path=dev)
    second = train_model("sentiment", train, out, dev_path=dev, name="again")
    assert load_model(out)[0].name == second.name == "again"

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ghi-chú.txt").write_text("không được ghi đè", encoding="utf-8")
    with pytest.raises(ModelError, match="not empty and not a model directory"):
        train_model("sentiment", train, notes)
    assert (notes / "ghi-chú.txt").read_text(encoding="utf-8") == "không được ghi đè"


def test_evaluate_classifier_counts_unknown_labels(tmp_path: Path, data: tuple[Path, Path]) -> None:
    train, dev = data
    train_model("sentiment", train, tmp_path / "model", dev_path=dev)
    _, classifier = load_model(tmp_path / "model")
    spam = write_jsonl(tmp_path / "spam.jsonl", [*DEV_TEXTS, "mua ngay link bit.ly/xyz"], [*DEV_LABELS, "spam"])
    result = evaluate_classifier(classifier, load_labelled(spam))
    assert result["unknown_labels"] == ["spam"]
    assert result["accuracy"] == 0.8


def test_bad_training_data_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "tốt", "label": "positive"}\n{"text": "tệ"}\n', encoding="utf-8")
    with pytest.raises(ModelError, match=r"bad\.jsonl:2: field 'label' is missing"):
        train_model("sentiment", bad, tmp_path / "model")
    assert not (tmp_path / "model").exists()
