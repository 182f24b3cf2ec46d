"""Every score carries its reasons: the phrases of a text that pushed a scikit-learn model to its label."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from models.trained.base import ExplainableClassifier
from models.trained.sklearn_backend import SklearnTextClassifier, fit, stacker_pipeline
from models.trained.stacking import Stacker, apply_log_prior
from monitor.errors import ModelError

# Comments on public services, written for these tests: with and without diacritics, teencode, emoji.
_PRAISE = (
    "dịch vụ công tuyệt vời",
    "cán bộ phường nhiệt tình",
    "thu tuc nhanh gon, tuyet voi",
    "đường mới thông xe, đi lại thuận tiện",
    "cảm ơn ubnd phường đã xử lý nhanh",
)
_PRAISE_TAIL = ("rất hài lòng 👍", "cảm ơn các anh chị ❤️", "dc hỗ trợ tận tình", "tuyet voi luon")
_COMPLAINT = (
    "đường ngập nước quá tệ",
    "thủ tục rườm rà, chờ cả buổi",
    "duong xa nat, te qua",
    "kẹt xe kinh khủng",
    "rác thải bốc mùi, ko ai xử lý",
)
_COMPLAINT_TAIL = ("thất vọng thật sự 😡", "dân khổ quá", "ko ai chịu trách nhiệm", "phản ánh mãi ko thấy sửa")


def public_services() -> tuple[list[str], list[str]]:
    """40 comments, 20 praising and 20 complaining, alternating."""
    texts: list[str] = []
    labels: list[str] = []
    praise = itertools.product(_PRAISE, _PRAISE_TAIL)
    complaints = itertools.product(_COMPLAINT, _COMPLAINT_TAIL)
    for (head, tail), (complaint, complaint_tail) in zip(praise, complaints, strict=True):
        texts += [f"{head.capitalize()}, {tail}", f"{complaint.capitalize()}, {complaint_tail}"]
        labels += ["positive", "negative"]
    return texts, labels


@pytest.fixture(scope="module")
def classifier() -> SklearnTextClassifier:
    return fit(*public_services(), seed=13)


@pytest.fixture(scope="module")
def three_labels() -> SklearnTextClassifier:
    texts, labels = public_services()
    topic = [
        "transport" if label == "negative" and ("đường" in t or "xe" in t) else label
        for t, label in zip(texts, labels, strict=True)
    ]
    return fit(texts, topic, seed=13)


def words_of(reasons: Sequence[tuple[str, float]]) -> set[str]:
    return {word for phrase, _ in reasons for word in phrase.lower().split()}


def test_the_sklearn_classifier_is_explainable_and_a_plain_one_is_not(classifier: SklearnTextClassifier) -> None:
    class LabelsOnly:  # what a backend without reasons (transformers) offers
        labels = ("negative", "positive")

        def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
            return np.full((len(texts), 2), 0.5)

        def save(self, directory: Path) -> list[str]:
            return []

    assert isinstance(classifier, ExplainableClassifier)
    assert not isinstance(LabelsOnly(), ExplainableClassifier)


def test_praise_and_complaints_are_explained_by_their_own_words(classifier: SklearnTextClassifier) -> None:
    negative, positive = classifier.labels.index("negative"), classifier.labels.index("positive")
    praise, complaint = classifier.explain(
        ["Dịch vụ ở phường này tuyệt vời 👍", "Đường gì mà tệ quá, thất vọng 😡"], [positive, negative]
    )
    assert "tuyệt vời" in [phrase for phrase, _ in praise]
    assert "tệ" in words_of(complaint)
    for reasons in (praise, complaint):
        weights = [weight for _, weight in reasons]
        assert 0 < len(reasons) <= 3
        assert all(weight > 0 for weight in weights)
        assert weights == sorted(weights, reverse=True)
    # Toward the other label, praise has no "tuyệt vời" and the complaint no "tệ".
    praise_as_negative, complaint_as_positive = classifier.explain(
        ["Dịch vụ ở phường này tuyệt vời 👍", "Đường gì mà tệ quá, thất vọng 😡"], [negative, positive]
    )
    assert "tuyệt" not in words_of(praise_as_negative)
    assert "tệ" not in words_of(complaint_as_positive)


def test_reasons_are_spelled_as_the_text_spells_them(classifier: SklearnTextClassifier) -> None:
    negative, positive = classifier.labels.index("negative"), classifier.labels.index("positive")
    unaccented, teencode, emoji = classifier.explain(
        ["dich vu cong tuyet voi, rat hai long", "rác ko ai dọn, ko ai chịu trách nhiệm", "kẹt xe nữa rồi 😡😡"],
        [positive, negative, negative],
        top=5,
    )
    assert "tuyet voi" in [phrase for phrase, _ in unaccented]  # the folded words matched, the text's words shown
    assert "ko" in words_of(teencode)  # teencode was expanded to "không" for the model, not for the reader
    assert "không" not in words_of(teencode)
    assert "😡😡" in [phrase for phrase, _ in emoji]  # character n-grams are attributed to their token


def test_empty_texts_unknown_words_and_top(classifier: SklearnTextClassifier) -> None:
    assert classifier.explain([], []) == []
    assert classifier.explain(["", "xyzzy qwerty"], [0, 1]) == [[], []]
    text = "Cán bộ phường nhiệt tình, thủ tục nhanh gọn, tuyệt vời, cảm ơn các anh chị ❤️"
    positive = classifier.labels.index("positive")
    assert len(classifier.explain([text], [positive], top=1)[0]) == 1
    assert classifier.explain([text], [positive], top=0) == [[]]


def test_bad_label_indices_are_refused(classifier: SklearnTextClassifier) -> None:
    with pytest.raises(ModelError, match="2 texts but 1 label indices"):
        classifier.explain(["tốt", "tệ"], [0])
    with pytest.raises(ModelError, match="label index 2 is out of range for a model with 2 labels"):
        classifier.explain(["tốt"], [2])


def test_three_labels_have_reasons_for_each(three_labels: SklearnTextClassifier) -> None:
    texts = ["Đường ngập nước quá tệ, kẹt xe", "Rác thải bốc mùi, ko ai xử lý", "Cán bộ phường nhiệt tình 👍"]
    labels = [three_labels.labels.index(label) for label in ("transport", "negative", "positive")]
    explained = three_labels.explain(texts, labels)
    assert all(explained)
    assert words_of(explained[0]) & {"đường", "ngập", "kẹt", "xe"}
    assert words_of(explained[2]) & {"nhiệt", "tình", "cán", "bộ", "👍"}


@pytest.mark.parametrize("kind", ["linear", "quadratic"])
@pytest.mark.parametrize("fixture", ["classifier", "three_labels"])
def test_the_log_odds_gradient_matches_finite_differences(
    fixture: str, kind: str, request: pytest.FixtureRequest
) -> None:
    model: SklearnTextClassifier = request.getfixturevalue(fixture)
    texts, _ = public_services()
    features, lengths = model.featurizer.transform_with_lengths(texts)
    training_inputs = np.hstack([model.base_models.scores(features), lengths])
    # A stacker of each kind, fitted on the model's own inputs, with the model's labels as targets.
    targets = np.argmax(model.predict_proba(texts), axis=1)
    stacker = Stacker.from_pipeline(stacker_pipeline(kind).fit(training_inputs, targets))
    inputs = training_inputs[0] + 0.3  # off the training points, where the quadratic terms matter

    def log_odds(row: np.ndarray, label: int) -> float:
        p = apply_log_prior(stacker.predict_proba(row[None, :]), model.log_prior_shift)[0, label]
        return float(np.log(p / (1 - p)))

    probabilities = apply_log_prior(stacker.predict_proba(inputs[None, :]), model.log_prior_shift)[0]
    step = 1e-6
    for label in range(len(model.labels)):
        gradient = stacker.log_odds_gradient(inputs, probabilities, label)
        numeric = [
            (log_odds(inputs + step * unit, label) - log_odds(inputs - step * unit, label)) / (2 * step)
            for unit in np.eye(len(inputs))
        ]
        np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-6)


def test_each_feature_of_a_text_is_found_in_it_as_often_as_it_is_counted(classifier: SklearnTextClassifier) -> None:
    text = "Ko ai xử lý, ko ai chịu trách nhiệm!!! duong xa nat 😡 tuyệt vời tuyệt vời"
    found = classifier.featurizer.occurrences(text)
    counted = classifier.featurizer.transform([text]).indices.tolist()
    assert set(found.features.tolist()) | set(found.gram_features.tolist()) == set(counted)
    words = Counter(
        (feature, found.spelled[start:end])
        for feature, start, end in zip(found.features, found.starts, found.ends, strict=True)
    )
    ko = classifier.featurizer.words.unigrams["không"]
    assert words[ko, "Ko"] == 1
    assert words[ko, "ko"] == 1
    voi = classifier.featurizer.words.unigrams["vời"]
    assert words[voi, "vời"] == 2
    # Character n-grams are found by token, without its punctuation ("lý," is "lý"), counted per occurrence.
    tokens = {found.spelled[start:end]: t for t, (start, end) in enumerate(found.token_spans)}
    assert found.token_counts[tokens["vời"]] == 2
    assert found.token_counts[tokens["lý"]] == 1
    first_gram = classifier.featurizer.words.width + classifier.featurizer.folded.width
    in_ly = found.gram_features[found.gram_tokens == tokens["lý"]].tolist()
    assert first_gram + classifier.featurizer.char_grams[" lý"] in in_ly
