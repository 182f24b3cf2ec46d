"""The scikit-learn backend's saved form (format 3): plain JSON and arrays, scored without scikit-learn."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import joblib  # type: ignore[import-untyped]
import numpy as np
import pytest

from models.trained import portable
from models.trained.sklearn_backend import SklearnTextClassifier, fit, load, stacker_pipeline
from models.trained.stacking import Stacker
from monitor.errors import ModelError
from tests.models.trained import reviews

# Written by the format-2 code (commit 966cab9): a 3-label model of reviews(), and what it gave then.
FORMAT_2 = Path(__file__).parent / "data" / "format2"
UNSEEN = ["Giao hàng quá chậm, đổi trả rất mệt", "sp dùng ok lắm =))", "hang te, that vong", "", "🙂 " * 50]


def three_labels() -> tuple[list[str], list[str]]:
    texts, labels = reviews()
    split = [
        "delivery" if label == "negative" and any(word in text for word in ("chậm", "lỗi", "hình")) else label
        for text, label in zip(texts, labels, strict=True)
    ]
    return texts, split


@pytest.fixture(scope="module")
def binary() -> SklearnTextClassifier:
    return fit(*reviews(), seed=13)


@pytest.fixture(scope="module")
def ternary() -> SklearnTextClassifier:
    return fit(*three_labels(), seed=13)


def stacker_inputs(model: SklearnTextClassifier, texts: list[str]) -> np.ndarray:
    features, lengths = model.featurizer.transform_with_lengths(texts)
    return np.hstack([model.base_models.scores(features), lengths])


@pytest.mark.parametrize("kind", ["linear", "quadratic"])
@pytest.mark.parametrize("n_labels", [2, 3])
def test_the_numpy_stacker_computes_what_the_sklearn_pipeline_does(
    kind: str, n_labels: int, binary: SklearnTextClassifier, ternary: SklearnTextClassifier
) -> None:
    model, (texts, labels) = (binary, reviews()) if n_labels == 2 else (ternary, three_labels())
    inputs = stacker_inputs(model, texts)
    targets = np.array([model.labels.index(label) for label in labels])
    pipeline = stacker_pipeline(kind).fit(inputs, targets)
    stacker = Stacker.from_pipeline(pipeline)
    assert stacker.kind == kind
    assert stacker.n_labels == n_labels
    # Texts it was fitted on, unseen ones, and inputs far outside the training range (softmax/sigmoid tails).
    rng = np.random.default_rng(3)
    probe = np.vstack([inputs, stacker_inputs(model, UNSEEN), rng.normal(scale=30.0, size=(50, inputs.shape[1]))])
    expected = pipeline.predict_proba(probe)
    np.testing.assert_allclose(stacker.predict_proba(probe), expected, rtol=0, atol=1e-12)


def test_the_files_are_plain_json_and_arrays(binary: SklearnTextClassifier, tmp_path: Path) -> None:
    binary.save(tmp_path)
    description = json.loads((tmp_path / portable.JSON_FILE).read_text(encoding="utf-8"))
    assert description["format_version"] == 3
    assert description["labels"] == ["negative", "positive"]
    assert description["stacker"] in ("linear", "quadratic")
    assert "tuyệt" in description["vocabulary"]["words"]
    assert "tuyet" in description["vocabulary"]["folded"]
    with np.load(tmp_path / portable.ARRAYS_FILE, allow_pickle=False) as arrays:
        assert sorted(arrays.files) == sorted(portable.ARRAYS)
        assert arrays["base_weights"].dtype == np.float32
        assert arrays["base_weights"].shape == (binary.featurizer.n_features, 3)
    # Fixed timestamps: the bytes must not depend on when the model was saved.
    with zipfile.ZipFile(tmp_path / portable.ARRAYS_FILE) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_saved_model_is_scored_and_explained_without_scikit_learn(
    ternary: SklearnTextClassifier, tmp_path: Path
) -> None:
    ternary.save(tmp_path)
    expected = ternary.predict_proba(UNSEEN)
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from models.trained.sklearn_backend import load\n"
        f"model = load(Path({str(tmp_path)!r}))\n"
        f"texts = {UNSEEN!r}\n"
        "probabilities = model.predict_proba(texts).tolist()\n"
        "model.explain(texts, [0] * len(texts))\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib'))\n"
        "print(json.dumps({'modules': loaded, 'probabilities': probabilities}))\n"
    )
    root = Path(__file__).resolve().parents[3]
    environment = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment)
    output = json.loads(result.stdout)
    assert output["modules"] == []
    np.testing.assert_array_equal(np.array(output["probabilities"]), expected)


def test_a_format_2_model_still_scores_as_it_did(tmp_path: Path) -> None:
    shutil.copytree(FORMAT_2, tmp_path / "model")
    expected = json.loads((FORMAT_2 / "expected.json").read_text(encoding="utf-8"))
    model = load(tmp_path / "model")
    assert list(model.labels) == expected["labels"]
    np.testing.assert_allclose(model.predict_proba(expected["texts"]), expected["probabilities"], rtol=0, atol=1e-9)
    assert model.explain(["Giao hàng quá chậm"], [0])[0]  # the converted model has reasons too
    (tmp_path / "retrained").mkdir()
    model.save(tmp_path / "retrained")  # and saving it writes format 3
    np.testing.assert_array_equal(load(tmp_path / "retrained").predict_proba(UNSEEN), model.predict_proba(UNSEEN))


def test_unreadable_format_2_files_are_refused_by_name(tmp_path: Path) -> None:
    artifact = tmp_path / "classifier.joblib"
    state = joblib.load(FORMAT_2 / "classifier.joblib")
    joblib.dump({**state, "format_version": 1}, artifact)
    with pytest.raises(ModelError, match=r"classifier\.joblib: .*format version 1; this version reads formats 2 and 3"):
        load(tmp_path)
    joblib.dump(["not", "a", "model"], artifact)
    with pytest.raises(ModelError, match=r"classifier\.joblib: not a scikit-learn model written by monitor"):
        load(tmp_path)


def test_a_newer_format_or_another_recipe_is_refused_with_the_remedy(
    binary: SklearnTextClassifier, tmp_path: Path
) -> None:
    binary.save(tmp_path)
    path = tmp_path / portable.JSON_FILE
    description = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**description, "format_version": 4}), encoding="utf-8")
    with pytest.raises(ModelError, match=r"classifier\.json: .*format version 4; this version reads format 3: train"):
        load(tmp_path)
    recipe = {**description["recipe"], "char_sizes": [1, 4]}
    path.write_text(json.dumps({**description, "recipe": recipe}), encoding="utf-8")
    with pytest.raises(ModelError, match=r"classifier\.json: written with recipe .*train it again"):
        load(tmp_path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match=r"classifier\.json: not a JSON model description"):
        load(tmp_path)
    (tmp_path / portable.JSON_FILE).unlink()
    (tmp_path / portable.ARRAYS_FILE).unlink()
    with pytest.raises(ModelError, match=r"classifier\.json: scikit-learn model file is missing"):
        load(tmp_path)


def test_arrays_that_do_not_fit_the_description_are_refused_by_name(
    binary: SklearnTextClassifier, tmp_path: Path
) -> None:
    binary.save(tmp_path)
    path = tmp_path / portable.ARRAYS_FILE
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    np.savez(path, **{**arrays, "base_weights": arrays["base_weights"][:-1]})
    with pytest.raises(ModelError, match=r"classifier\.npz: base_weights .* do not fit"):
        load(tmp_path)
    np.savez(path, **{name: array for name, array in arrays.items() if name != "char_idf"})
    with pytest.raises(ModelError, match=r"classifier\.npz: array char_idf is missing"):
        load(tmp_path)
    np.savez(path, **{**arrays, "words_bigram_keys": arrays["words_bigram_keys"][::-1]})
    with pytest.raises(ModelError, match=r"classifier\.npz: words_bigram_keys must be increasing"):
        load(tmp_path)
    path.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match=r"classifier\.npz: not a numpy array archive"):
        load(tmp_path)


def test_a_vocabulary_entry_with_a_lone_surrogate_survives_saving(tmp_path: Path) -> None:
    # Broken input (half of an emoji's UTF-16 pair, as some scrapers emit) ends up in the character n-grams.
    texts, labels = reviews()
    texts = [f"{text} lỗi\ud83d" if i % 3 == 0 else text for i, text in enumerate(texts)]
    model = fit(texts, labels, seed=13)
    assert any("\ud83d" in gram for gram in model.featurizer.char_grams)
    model.save(tmp_path)
    np.testing.assert_array_equal(load(tmp_path).predict_proba(texts), model.predict_proba(texts))


def test_a_quadratic_three_label_model_scores_the_same_after_saving(
    ternary: SklearnTextClassifier, tmp_path: Path
) -> None:
    # scikit-learn keeps a multinomial model's coefficients in column-major order, the saved arrays are
    # row-major, and a matrix product over differently laid-out arrays may round differently.
    texts, labels = three_labels()
    targets = np.array([ternary.labels.index(label) for label in labels])
    pipeline = stacker_pipeline("quadratic").fit(stacker_inputs(ternary, texts), targets)
    model = SklearnTextClassifier(
        ternary.labels,
        ternary.featurizer,
        ternary.base_models,
        Stacker.from_pipeline(pipeline),
        ternary.log_prior_shift,
    )
    model.save(tmp_path)
    loaded = load(tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(texts + UNSEEN), model.predict_proba(texts + UNSEEN))
    # Batches of a few hundred to a few thousand rows are where BLAS picks layout-dependent kernels.
    stacker = model.stacker
    for rows in (500, 2_000):
        inputs = stacker.mean + stacker.scale * np.random.default_rng(rows).normal(size=(rows, len(stacker.mean)))
        np.testing.assert_array_equal(loaded.stacker.predict_proba(inputs), stacker.predict_proba(inputs))
