"""The scikit-learn recipe's saved form (format 3): plain JSON and numpy arrays, no pickle.

A fitted classifier is two files::

    classifier.json   format version, labels, stacker kind, the recipe constants scoring depends on,
                      and the featurizer's vocabularies (words, folded words, character n-grams, each
                      a list in feature order)
    classifier.npz    the numbers: idf vectors, bigram keys, base-model weights (float32) and intercepts,
                      the stacker's scaler and logistic-regression arrays, the log-prior shift

Both are read without executing anything (``numpy.load(allow_pickle=False)``, ``json``), and scoring
needs only numpy, scipy and the project's code, so a model shipped in the repository does not depend on
the scikit-learn version installed. Writing is deterministic: the same data and seed give byte-identical
files (sorted keys, fixed zip timestamps), so a retrained model's digest changes only when it does.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from models.trained.featurizer import CHAR_SIZES, MAX_CHAR_TOKEN, TextFeaturizer, WordBlock
from models.trained.stacking import BASE_MODELS, BaseModels, Stacker
from monitor.errors import ModelError

FORMAT_VERSION = 3
JSON_FILE = "classifier.json"
ARRAYS_FILE = "classifier.npz"
# Scoring computes features and score columns this way; a model written by another recipe is refused.
RECIPE_CONSTANTS: dict[str, Any] = {
    "char_sizes": [CHAR_SIZES.start, CHAR_SIZES.stop - 1],
    "max_char_token": MAX_CHAR_TOKEN,
    "base_models": [[kind, c] for kind, c in BASE_MODELS],
}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the file's bytes must not depend on the clock
# Name -> dtype of every array in the .npz.
ARRAYS: dict[str, type[np.generic]] = {
    "words_bigram_keys": np.int64,
    "words_idf": np.float32,
    "folded_bigram_keys": np.int64,
    "folded_idf": np.float32,
    "char_idf": np.float32,
    "max_log_lengths": np.float64,
    "base_weights": np.float32,
    "base_intercepts": np.float32,
    "stacker_mean": np.float64,
    "stacker_scale": np.float64,
    "stacker_coef": np.float64,  # the stacker is tiny: full precision keeps it exactly what was fitted
    "stacker_intercept": np.float64,
    "log_prior_shift": np.float64,
}


class Parts(NamedTuple):
    """What a fitted classifier is made of."""

    labels: tuple[str, ...]
    featurizer: TextFeaturizer
    base_models: BaseModels
    stacker: Stacker
    log_prior_shift: NDArray[np.float64]


def write(directory: Path, parts: Parts) -> list[str]:
    """Write ``parts`` as :data:`JSON_FILE` and :data:`ARRAYS_FILE` in ``directory``; returns their names."""
    featurizer = parts.featurizer
    description = {
        "format_version": FORMAT_VERSION,
        "labels": list(parts.labels),
        "recipe": RECIPE_CONSTANTS,
        "stacker": parts.stacker.kind,
        "vocabulary": {
            "words": _in_order(featurizer.words.unigrams),
            "folded": _in_order(featurizer.folded.unigrams),
            "char_grams": _in_order(featurizer.char_grams),
        },
    }
    text = json.dumps(description, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    # surrogatepass: a text with a lone surrogate (broken input) can leave one in a vocabulary entry.
    (directory / JSON_FILE).write_bytes(text.encode("utf-8", "surrogatepass"))
    arrays = {
        "words_bigram_keys": featurizer.words.bigram_keys,
        "words_idf": featurizer.words.idf,
        "folded_bigram_keys": featurizer.folded.bigram_keys,
        "folded_idf": featurizer.folded.idf,
        "char_idf": featurizer.char_idf,
        "max_log_lengths": featurizer.max_log_lengths,
        "base_weights": parts.base_models.weights,
        "base_intercepts": parts.base_models.intercepts,
        "stacker_mean": parts.stacker.mean,
        "stacker_scale": parts.stacker.scale,
        "stacker_coef": parts.stacker.coef,
        "stacker_intercept": parts.stacker.intercept,
        "log_prior_shift": parts.log_prior_shift,
    }
    with zipfile.ZipFile(directory / ARRAYS_FILE, "w") as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(
                buffer, np.ascontiguousarray(arrays[name], dtype=ARRAYS[name]), allow_pickle=False
            )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=9)
    return [ARRAYS_FILE, JSON_FILE]


def _in_order(vocabulary: dict[str, int]) -> list[str]:
    return sorted(vocabulary, key=vocabulary.__getitem__)


def is_portable(directory: Path) -> bool:
    """True when ``directory`` holds a format-3 model's description file."""
    return (directory / JSON_FILE).is_file()


def read(directory: Path) -> Parts:
    """Read what :func:`write` wrote, checking every field and array shape.

    Raises:
        ModelError: a missing or malformed file, another format version or recipe, an array of the
            wrong type or shape; the message names the file.
    """
    path = directory / JSON_FILE
    try:
        description = json.loads(path.read_bytes().decode("utf-8", "surrogatepass"))
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: scikit-learn model file is missing") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not a JSON model description: {exc}") from exc
    if not isinstance(description, dict) or "format_version" not in description:
        raise ModelError(f"{path}: not a scikit-learn model written by monitor models train")
    if description["format_version"] != FORMAT_VERSION:
        raise ModelError(
            f"{path}: a scikit-learn model of format version {description['format_version']}; this version reads "
            f"format {FORMAT_VERSION}: train it again with monitor models train (then pin the new digest)"
        )
    if description.get("recipe") != RECIPE_CONSTANTS:
        raise ModelError(
            f"{path}: written with recipe {description.get('recipe')}, but this version computes {RECIPE_CONSTANTS}; "
            "train it again with monitor models train"
        )
    try:
        labels = tuple(_strings(description["labels"]))
        vocabulary = description["vocabulary"]
        words, folded, grams = (_strings(vocabulary[key]) for key in ("words", "folded", "char_grams"))
        kind = str(description["stacker"])
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{path}: missing or malformed field {exc}") from exc
    arrays = _read_arrays(directory / ARRAYS_FILE)
    try:
        return _assemble(labels=labels, words=words, folded=folded, grams=grams, kind=kind, arrays=arrays)
    except ModelError as exc:
        raise ModelError(f"{directory / ARRAYS_FILE}: {exc.message}") from exc


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("expected a list of strings")
    if len(set(value)) != len(value):
        raise TypeError("a list of strings has duplicates")
    return value


def _read_arrays(path: Path) -> dict[str, NDArray[Any]]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: scikit-learn model file is missing") from exc
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{path}: not a numpy array archive: {exc}") from exc
    for name, dtype in ARRAYS.items():
        if name not in arrays:
            raise ModelError(f"{path}: array {name} is missing")
        if arrays[name].dtype != dtype:
            raise ModelError(f"{path}: array {name} is {arrays[name].dtype}, expected {np.dtype(dtype)}")
    return arrays


def _word_block(name: str, unigrams: list[str], arrays: dict[str, NDArray[Any]]) -> WordBlock:
    keys, idf = arrays[f"{name}_bigram_keys"], arrays[f"{name}_idf"]
    # Bigrams are found by binary search over the keys: they must be sorted and within the unigram grid.
    if keys.ndim != 1 or np.any(np.diff(keys) <= 0) or (len(keys) and (keys[0] < 0 or keys[-1] >= len(unigrams) ** 2)):
        raise ModelError(f"{name}_bigram_keys must be increasing keys of unigram pairs")
    if idf.shape != (len(unigrams) + len(keys),):
        raise ModelError(f"{name}_idf has shape {idf.shape}, expected ({len(unigrams) + len(keys)},)")
    return WordBlock({word: i for i, word in enumerate(unigrams)}, keys, idf)


def _assemble(
    *,
    labels: tuple[str, ...],
    words: list[str],
    folded: list[str],
    grams: list[str],
    kind: str,
    arrays: dict[str, NDArray[Any]],
) -> Parts:
    if len(labels) < 2:
        raise ModelError(f"a classifier needs at least 2 labels, the description has {list(labels)}")
    char_idf = arrays["char_idf"]
    if char_idf.shape != (len(grams),):
        raise ModelError(f"char_idf has shape {char_idf.shape}, expected ({len(grams)},)")
    if arrays["max_log_lengths"].shape != (2,):
        raise ModelError(f"max_log_lengths has shape {arrays['max_log_lengths'].shape}, expected (2,)")
    featurizer = TextFeaturizer.from_parts(
        _word_block("words", words, arrays),
        _word_block("folded", folded, arrays),
        {gram: i for i, gram in enumerate(grams)},
        char_idf,
        arrays["max_log_lengths"],
    )
    n_scores = BaseModels.n_scores(len(labels))
    weights, intercepts = arrays["base_weights"], arrays["base_intercepts"]
    if weights.shape != (featurizer.n_features, n_scores) or intercepts.shape != (n_scores,):
        raise ModelError(
            f"base_weights {weights.shape} and base_intercepts {intercepts.shape} do not fit "
            f"{featurizer.n_features} features and {n_scores} scores"
        )
    stacker = Stacker(
        kind, arrays["stacker_mean"], arrays["stacker_scale"], arrays["stacker_coef"], arrays["stacker_intercept"]
    )
    if len(stacker.mean) != n_scores + 2 or stacker.n_labels != len(labels):
        raise ModelError(f"the stacker reads {len(stacker.mean)} inputs for {stacker.n_labels} labels")
    shift = arrays["log_prior_shift"]
    if shift.shape != (len(labels),):
        raise ModelError(f"log_prior_shift has shape {shift.shape}, expected ({len(labels)},)")
    return Parts(labels, featurizer, BaseModels.from_arrays(weights, intercepts), stacker, shift)
