from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.trained import sklearn_backend
from models.trained.base import predictions
from models.trained.sklearn_backend import SklearnTextClassifier, TextFeaturizer, fit, load
from monitor.errors import ModelError
from tests.models.trained import reviews


@pytest.fixture(scope="module")
def classifier() -> SklearnTextClassifier:
    texts, labels = reviews()
    return fit(texts, labels, seed=13)


def test_learns_a_separable_vietnamese_task(classifier: SklearnTextClassifier) -> None:
    unseen = [
        "Chất lượng tuyệt vời, giao hàng nhanh 😍",
        "chat luong tuyet voi, giao hang nhanh",  # no diacritics: the folded words still match
        "Hàng kém chất lượng, ko giống hình 😡",
        "hang kem chat luong, khong giong hinh",
        "sp bị lỗi, phí tiền :(((",
    ]
    labels = [p.label for p in predictions(classifier, unseen)]
    assert labels == ["positive", "positive", "negative", "negative", "negative"]


def test_probabilities_cover_every_label_and_sum_to_one(classifier: SklearnTextClassifier) -> None:
    assert classifier.labels == ("negative", "positive")
    probabilities = classifier.predict_proba(["Sản phẩm rất tốt", "", "🙂", "12345"])
    assert probabilities.shape == (4, 2)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert np.all((probabilities >= 0) & (probabilities <= 1))


def test_empty_input_and_very_long_text(classifier: SklearnTextClassifier) -> None:
    assert classifier.predict_proba([]).shape == (0, 2)
    long_text = "Hàng kém chất lượng, ko giống hình. " * 2_900  # about 100 KB
    no_spaces = "x" * 100_000
    probabilities = classifier.predict_proba([long_text, no_spaces])
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert classifier.labels[int(np.argmax(probabilities[0]))] == "negative"


def test_save_and_load_give_identical_probabilities(classifier: SklearnTextClassifier, tmp_path: Path) -> None:
    names = classifier.save(tmp_path)
    assert sorted(names) == sorted(path.name for path in tmp_path.iterdir()) == ["classifier.json", "classifier.npz"]
    loaded = load(tmp_path)
    texts = ["Đóng gói cẩn thận, sẽ ủng hộ tiếp", "giao hang qua cham", ""]
    assert loaded.labels == classifier.labels
    assert np.array_equal(loaded.predict_proba(texts), classifier.predict_proba(texts))


def test_the_artifact_is_byte_identical_for_the_same_seed(tmp_path: Path) -> None:
    texts, labels = reviews()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    fit(texts, labels, seed=7).save(first)
    fit(texts, labels, seed=7).save(second)
    for name in (sklearn_backend.JSON_FILE, sklearn_backend.ARRAYS_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_three_labels_work_too() -> None:
    texts, labels = reviews()
    # Split the complaints by their tail phrase: the recipe is not specific to two labels or sentiment.
    three = [
        "delivery" if label == "negative" and any(word in text for word in ("chậm", "lỗi", "hình")) else label
        for text, label in zip(texts, labels, strict=True)
    ]
    model = fit(texts, three)
    assert model.labels == ("delivery", "negative", "positive")
    probabilities = model.predict_proba(["Giao hàng quá chậm", "Sản phẩm rất tốt"])
    assert probabilities.shape == (2, 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_training_needs_two_labels_and_two_texts_per_label() -> None:
    with pytest.raises(ModelError, match="at least 2 labels"):
        fit(["tốt", "hay"], ["positive", "positive"])
    with pytest.raises(ModelError, match="at least 2 training texts"):
        fit(["tốt quá", "tốt quá", "tệ"], ["positive", "positive", "negative"])
    with pytest.raises(ModelError, match="3 texts but 2 labels"):
        fit(["a", "b", "c"], ["x", "y"])


def test_featurizer_matches_accented_and_folded_spellings() -> None:
    featurizer = TextFeaturizer()
    featurizer.fit_transform(["không tốt lắm", "không tốt chút nào", "rất tốt", "rất tốt luôn"])
    accented, folded, teencode = featurizer.transform(["không tốt", "khong tot", "ko tốt"]).toarray()
    assert np.dot(accented, folded) > 0.3  # the folded-words block is shared
    assert np.dot(accented, teencode) > 0.9  # "ko" is expanded to "không" before anything else


def test_the_stacker_turns_quadratic_only_when_products_of_scores_separate_labels() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(400, 2))
    # The label is the sign of the product of the two scores: no linear stacker can read it.
    interaction = (scores[:, 0] * scores[:, 1] > 0).astype(np.int64)
    assert sklearn_backend.choose_stacker(scores, interaction, seed=1) == "quadratic"
    additive = (scores[:, 0] + scores[:, 1] > 0).astype(np.int64)
    assert sklearn_backend.choose_stacker(scores, additive, seed=1) == "linear"
