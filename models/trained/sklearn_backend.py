"""The CPU backend: sparse n-gram features, three linear models stacked, calibrated and tuned for macro-F1.

The recipe is one generic procedure for every task (sentiment, topic, toxicity, misinformation):

1. :class:`TextFeaturizer` turns a text into three blocks of tf-idf features over normalized, lower-cased
   text: word 1–2-grams (teencode expanded), the same words folded (so "khong tot" matches "không tốt")
   and character 2–5-grams inside whitespace tokens (spelling variants, emoticons, emoji, ``:(((``).
2. Three linear models read those features: class-weighted linear SVMs with a weaker and a stronger
   penalty, and an NB-SVM (the same SVM over features scaled by their naive-Bayes log-count ratio,
   which helps on sentiment-like tasks).
3. A small logistic regression, fitted on *out-of-fold* decision scores of all three plus the text's
   log word and character counts, combines them into calibrated probabilities (stacking). It is linear,
   or quadratic (products of scores) when cross-validation on those out-of-fold scores says so. A
   per-label log-prior shift is then tuned on the out-of-fold probabilities to maximise macro-F1, so
   rare labels (neutral, hate) are not drowned by frequent ones.

Everything is tuned by cross-validation on the training data, never on a dev file, so dev metrics stay an
honest estimate. Word segmentation (underthesea) is deliberately not used: word bigrams capture most
compounds and segmentation would cap prediction at a few thousand short texts per second.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
from numpy.typing import NDArray
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline, make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import PolynomialFeatures, StandardScaler  # type: ignore[import-untyped]
from sklearn.preprocessing import normalize as normalize_rows
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from models.tokens import teencode_map
from monitor.errors import ModelError
from monitor.text import fold, normalize

ARTIFACT = "classifier.joblib"
FORMAT_VERSION = 2  # 2: three base models; the stacker is a pipeline that also reads lengths
FOLDS = 5
SVM_C = 0.5
SMOOTH_SVM_C = 0.15
NB_SVM_C = 0.2  # the NB-scaled features are larger, so they want a stronger penalty
STACKER_C = 1.0
QUADRATIC_STACKER_C = 0.3
QUADRATIC_MARGIN = 0.002
STACKERS = ("linear", "quadratic")
BIAS_GRID = np.linspace(-2.0, 2.0, 41)
BIAS_ROUNDS = 3

# What the model card records about how a scikit-learn model was built.
RECIPE = {
    "features": "tf-idf (sublinear, min_df 2): words 1-2 (teencode expanded), folded words 1-2, char 2-5 in tokens",
    "models": f"LinearSVC C={SVM_C} and C={SMOOTH_SVM_C} balanced + NB-SVM C={NB_SVM_C}",
    "stacking": (
        f"logistic regression over scores and log lengths, linear (C={STACKER_C}) or quadratic"
        f" (C={QUADRATIC_STACKER_C}) chosen by cross-validated macro-F1"
    ),
    "calibration": f"{FOLDS}-fold out-of-fold scores; per-label log-prior shift tuned for macro-F1",
}

Progress = Callable[[str], None]
FloatArray = NDArray[np.float64]


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A whitespace token longer than this is a URL, a hash or junk: its first characters say enough, and
# cutting it keeps a 100 KB text without spaces from producing hundreds of thousands of n-grams.
MAX_CHAR_TOKEN = 40
CHAR_SIZES = range(2, 6)
MIN_DOCUMENT_FREQUENCY = 2  # an n-gram seen in one training text is noise and bloats the model
CACHE_LIMIT = 300_000


@lru_cache(maxsize=262_144)
def _folded(word: str) -> str:
    return fold(word)


# The analyzer runs up to four models over the same batch of texts: their words are read once.
@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Lower-case words with teencode expanded, and the whitespace tokens (punctuation and emoji kept)."""
    lowered = normalize(text).lower()
    teencode = teencode_map()
    words: list[str] = []
    for word in _WORD.findall(lowered):
        words.extend(teencode.get(word, (word,)))
    return tuple(words), tuple(lowered.split())


def _char_ngrams(token: str) -> list[str]:
    padded = f" {token[:MAX_CHAR_TOKEN]} "
    return [padded[i : i + n] for n in CHAR_SIZES for i in range(len(padded) - n + 1)]


def _idf(document_frequencies: Sequence[int], n_texts: int) -> NDArray[np.float32]:
    frequencies = np.asarray(document_frequencies, dtype=np.float64)
    return (np.log((1 + n_texts) / (1 + frequencies)) + 1).astype(np.float32)  # scikit-learn's smooth idf


def _kept(frequencies: Counter[Any]) -> list[Any]:
    # Sorted, so the saved artifact is identical from one run to the next.
    return sorted(gram for gram, count in frequencies.items() if count >= MIN_DOCUMENT_FREQUENCY)


@dataclass(frozen=True)
class _WordBlock:
    """Word unigrams and bigrams. Unigram ``w`` is feature ``unigrams[w]``; the bigram of unigram ids
    ``(a, b)`` is keyed ``a * len(unigrams) + b`` and is feature ``len(unigrams) + its rank`` among the
    sorted keys, so bigrams are looked up with one vectorised binary search instead of a string each.
    """

    unigrams: dict[str, int]
    bigram_keys: NDArray[np.int64]
    idf: NDArray[np.float32]

    @classmethod
    def learn(cls, unigram_df: Counter[str], bigram_df: Counter[tuple[str, str]], n_texts: int) -> _WordBlock:
        kept_unigrams = _kept(unigram_df)
        unigrams = {word: i for i, word in enumerate(kept_unigrams)}
        # A bigram in 2 texts has both words in 2 texts, so both are kept unigrams.
        keyed = sorted((unigrams[a] * len(unigrams) + unigrams[b], (a, b)) for a, b in _kept(bigram_df))
        idf = _idf([unigram_df[w] for w in kept_unigrams] + [bigram_df[pair] for _, pair in keyed], n_texts)
        return cls(unigrams, np.array([key for key, _ in keyed], dtype=np.int64), idf)

    @classmethod
    def empty(cls) -> _WordBlock:
        return cls({}, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

    @property
    def width(self) -> int:
        return len(self.unigrams) + len(self.bigram_keys)

    def counts(self, word_ids: NDArray[np.int64], ends: NDArray[np.int64]) -> sparse.csr_matrix:
        """Counts for texts whose unigram ids (-1 when unknown) are ``word_ids[ends[r]:ends[r + 1]]``."""
        rows = np.repeat(np.arange(len(ends) - 1), np.diff(ends))
        known = word_ids >= 0
        first, second = word_ids[:-1], word_ids[1:]
        pairs = (rows[:-1] == rows[1:]) & known[:-1] & known[1:]
        keys = first[pairs] * len(self.unigrams) + second[pairs]
        ranks = np.searchsorted(self.bigram_keys, keys)
        found = ranks < len(self.bigram_keys)
        found[found] = self.bigram_keys[ranks[found]] == keys[found]
        row_index = np.concatenate([rows[known], rows[:-1][pairs][found]])
        column_index = np.concatenate([word_ids[known], len(self.unigrams) + ranks[found]])
        values = np.ones(len(row_index), dtype=np.float32)
        return sparse.coo_matrix((values, (row_index, column_index)), shape=(len(ends) - 1, self.width)).tocsr()


class TextFeaturizer:
    """Sublinear tf-idf over three blocks: words, folded words and character n-grams within tokens.

    Does what three scikit-learn ``TfidfVectorizer`` would, but looks each distinct word and token up
    once (cached) and bigrams with a vectorised search: several times faster on long articles, and the
    saved vocabulary holds only n-grams seen in at least two training texts.
    """

    def __init__(self) -> None:
        self.words = _WordBlock.empty()
        self.folded = _WordBlock.empty()
        self.char_grams: dict[str, int] = {}
        self.char_idf: NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        # Lengths beyond the longest training text are read as that length: the stacker's (quadratic)
        # length terms must not extrapolate to a 100 KB text and override what its words say.
        self.max_log_lengths: FloatArray = np.zeros(2)
        self._word_ids: dict[str, tuple[int, int]] = {}
        self._char_ids: dict[str, list[int]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # The caches are rebuilt on use; leaving them out keeps the artifact small and deterministic.
        return {key: value for key, value in self.__dict__.items() if not key.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._word_ids = {}
        self._char_ids = {}

    @property
    def n_features(self) -> int:
        return self.words.width + self.folded.width + len(self.char_grams)

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Learn the vocabularies and idf weights from ``texts``, then return their features."""
        features, _ = self.fit_transform_with_lengths(texts)
        return features

    def fit_transform_with_lengths(self, texts: Sequence[str]) -> tuple[sparse.csr_matrix, FloatArray]:
        """:meth:`fit_transform`, and the lengths :meth:`transform_with_lengths` gives."""
        unigram_df: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
        bigram_df: tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]] = (Counter(), Counter())
        char_df: Counter[str] = Counter()
        token_grams: dict[str, list[str]] = {}
        longest = np.zeros(2)
        for text in texts:
            words, tokens = _words(text)
            longest = np.maximum(longest, (len(words), len(text)))
            for block, sequence in enumerate((words, [_folded(word) for word in words])):
                unigram_df[block].update(set(sequence))
                bigram_df[block].update(set(pairwise(sequence)))
            grams: set[str] = set()
            for token in tokens:
                if token not in token_grams:
                    token_grams[token] = _char_ngrams(token)
                grams.update(token_grams[token])
            char_df.update(grams)
        self.words = _WordBlock.learn(unigram_df[0], bigram_df[0], len(texts))
        self.folded = _WordBlock.learn(unigram_df[1], bigram_df[1], len(texts))
        kept_grams = _kept(char_df)
        self.char_grams = {gram: i for i, gram in enumerate(kept_grams)}
        self.char_idf = _idf([char_df[gram] for gram in kept_grams], len(texts))
        if self.n_features == 0:
            raise ModelError(f"no word or character n-gram occurs in {MIN_DOCUMENT_FREQUENCY} of the training texts")
        self.max_log_lengths = np.log1p(longest)
        self._word_ids = {}
        self._char_ids = {}
        return self.transform_with_lengths(texts)

    def _ids_of_word(self, word: str) -> tuple[int, int]:
        ids = self._word_ids.get(word)
        if ids is None:
            ids = (self.words.unigrams.get(word, -1), self.folded.unigrams.get(_folded(word), -1))
            if len(self._word_ids) >= CACHE_LIMIT:  # bounded memory on an endless stream of new words
                self._word_ids.clear()
            self._word_ids[word] = ids
        return ids

    def _ids_of_token(self, token: str) -> list[int]:
        ids = self._char_ids.get(token)
        if ids is None:
            ids = [i for i in map(self.char_grams.get, _char_ngrams(token)) if i is not None]
            if len(self._char_ids) >= CACHE_LIMIT:
                self._char_ids.clear()
            self._char_ids[token] = ids
        return ids

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Features of ``texts``, shape ``(len(texts), n_features)``, each block L2-normalised."""
        features, _ = self.transform_with_lengths(texts)
        return features

    def transform_with_lengths(self, texts: Sequence[str]) -> tuple[sparse.csr_matrix, FloatArray]:
        """:meth:`transform` plus ``log(1 + count)`` of each text's words and characters, shape ``(n, 2)``.

        The stacker reads the lengths next to the linear scores: a long text with both praise and
        complaint is more often neutral than a short one with the same scores (UIT-VSFC), which no
        linear model over tf-idf can express.
        """
        if not self.n_features:
            raise ModelError("the featurizer has not been fitted")
        word_ids, folded_ids, token_ids = array("q"), array("q"), array("i")
        word_ends, token_ends = array("q", [0]), array("q", [0])
        # Character n-grams go through the batch's distinct tokens: a (texts x tokens) count matrix times
        # a (tokens x n-grams) matrix, so a token repeated across an article is analysed and summed once.
        batch_tokens: dict[str, int] = {}
        for text in texts:
            words, tokens = _words(text)
            for word_id, folded_id in map(self._ids_of_word, words):
                word_ids.append(word_id)
                folded_ids.append(folded_id)
            token_ids.extend([batch_tokens.setdefault(token, len(batch_tokens)) for token in tokens])
            word_ends.append(len(word_ids))
            token_ends.append(len(token_ids))
        gram_ids, gram_ends = array("i"), array("q", [0])
        for token in batch_tokens:
            gram_ids.extend(self._ids_of_token(token))
            gram_ends.append(len(gram_ids))
        ends = _as_numpy(word_ends, np.int64)
        token_counts = _count_matrix(token_ids, token_ends, len(batch_tokens))
        char_counts = token_counts @ _count_matrix(gram_ids, gram_ends, len(self.char_grams))
        blocks = [
            _tfidf(self.words.counts(_as_numpy(word_ids, np.int64), ends), self.words.idf),
            _tfidf(self.folded.counts(_as_numpy(folded_ids, np.int64), ends), self.folded.idf),
            _tfidf(sparse.csr_matrix(char_counts), self.char_idf),
        ]
        n_words = np.diff(ends).astype(np.float64)
        n_chars = np.array([len(text) for text in texts], dtype=np.float64)
        lengths = np.minimum(np.log1p(np.column_stack([n_words, n_chars])), self.max_log_lengths)
        return sparse.hstack(blocks, format="csr"), lengths


def _as_numpy(values: array[int], dtype: type[np.signedinteger[Any]]) -> NDArray[Any]:
    return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)


def _count_matrix(ids: array[int], ends: array[int], width: int) -> sparse.csr_matrix:
    """Row ``r`` counts the ids in ``ids[ends[r]:ends[r + 1]]``."""
    indices = _as_numpy(ids, np.int32)
    counts = sparse.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, _as_numpy(ends, np.int64)), shape=(len(ends) - 1, width)
    )
    counts.sum_duplicates()
    return counts


def _tfidf(counts: sparse.csr_matrix, idf: NDArray[np.float32]) -> sparse.csr_matrix:
    counts.data = (1 + np.log(counts.data)) * idf[counts.indices]  # sublinear tf: 10 repeats ≠ 10× evidence
    return normalize_rows(counts, copy=False)


def _naive_bayes_svm(
    features: sparse.csr_matrix, targets: NDArray[np.int64], n_labels: int, c: float, seed: int
) -> tuple[FloatArray, FloatArray]:
    """Weights ``(n_features, columns)`` and intercepts of one-vs-rest NB-SVMs (Wang & Manning, 2012).

    Each SVM sees the features scaled by the label's naive-Bayes log-count ratio, so a feature's weight
    starts from how much more often it occurs with the label than without it. The SVM learns ``w`` on
    ``x * r``, so its weights on the raw features are ``r * w``: scoring needs no rescaled copy of ``x``.
    """
    present = sparse.csr_matrix(features > 0, dtype=np.float32)
    # With two labels one model separates them; with more, one model per label.
    positives = [1] if n_labels == 2 else list(range(n_labels))
    weights, intercepts = [], []
    for positive in positives:
        mask = targets == positive
        with_label = 1.0 + np.asarray(present[mask].sum(axis=0)).ravel()  # add-one smoothing
        without_label = 1.0 + np.asarray(present[~mask].sum(axis=0)).ravel()
        ratio = np.log((with_label / with_label.sum()) / (without_label / without_label.sum())).astype(np.float32)
        model = LinearSVC(C=c, class_weight="balanced", random_state=seed)
        model.fit(sparse.csr_matrix(features.multiply(ratio)), mask)
        weights.append(ratio * model.coef_[0])
        intercepts.append(model.intercept_[0])
    return np.column_stack(weights), np.array(intercepts)


def _svm(
    features: sparse.csr_matrix, targets: NDArray[np.int64], n_labels: int, c: float, seed: int
) -> tuple[FloatArray, FloatArray]:
    del n_labels  # LinearSVC is one-vs-rest by itself
    model = LinearSVC(C=c, class_weight="balanced", random_state=seed).fit(features, targets)
    return np.asarray(model.coef_.T), np.asarray(model.intercept_)


# The base models, as (kind, C). Two SVM penalties rather than one tuned C: the stacker weighs a
# smoother and a sharper model per task, which cross-validation on the training sets preferred to any
# single C (AIVIVN 0.907 -> 0.909, UIT-ViHSD 0.671 -> 0.676 macro-F1), at the cost of one more fit.
BASE_MODELS: tuple[tuple[str, float], ...] = (("svm", SVM_C), ("svm", SMOOTH_SVM_C), ("nb-svm", NB_SVM_C))
_FITTERS = {"svm": _svm, "nb-svm": _naive_bayes_svm}


class _BaseModels:
    """The :data:`BASE_MODELS`, all class-weighted, kept as one weight matrix: scoring is one product.

    Score columns: per base model in order, 1 for two labels, else one per label.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.weights = np.zeros((0, 0), dtype=np.float32)
        self.intercepts = np.zeros(0, dtype=np.float32)

    @staticmethod
    def n_scores(n_labels: int) -> int:
        return len(BASE_MODELS) * (1 if n_labels == 2 else n_labels)

    def fit(self, features: sparse.csr_matrix, targets: NDArray[np.int64], n_labels: int) -> _BaseModels:
        fitted = [_FITTERS[kind](features, targets, n_labels, c, self.seed) for kind, c in BASE_MODELS]
        self.weights = np.hstack([weights for weights, _ in fitted]).astype(np.float32)
        self.intercepts = np.concatenate([intercepts for _, intercepts in fitted]).astype(np.float32)
        return self

    def scores(self, features: sparse.csr_matrix) -> FloatArray:
        return np.asarray(features @ self.weights, dtype=np.float64) + self.intercepts


def macro_f1(targets: NDArray[np.int64], predicted: NDArray[np.int64], n_labels: int) -> float:
    """Macro-F1 from a confusion matrix; far faster than sklearn's in the bias search's inner loop."""
    confusion = np.bincount(targets * n_labels + predicted, minlength=n_labels * n_labels).reshape(n_labels, -1)
    true_positive = np.diag(confusion).astype(np.float64)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros(n_labels), where=denominator > 0)
    return float(f1.mean())


def tune_log_prior(probabilities: FloatArray, targets: NDArray[np.int64]) -> FloatArray:
    """Per-label shifts of log-probability that maximise macro-F1 (coordinate ascent on a grid).

    The first label stays at 0: only differences between labels change the argmax.
    """
    n_labels = probabilities.shape[1]
    log_p = np.log(np.clip(probabilities, 1e-12, 1.0))
    shift = np.zeros(n_labels)
    best = macro_f1(targets, np.argmax(log_p, axis=1), n_labels)
    for _ in range(BIAS_ROUNDS):
        improved = False
        for label in range(1, n_labels):
            for value in BIAS_GRID:
                candidate = shift.copy()
                candidate[label] = value
                score = macro_f1(targets, np.argmax(log_p + candidate, axis=1), n_labels)
                if score > best + 1e-9:
                    best, shift, improved = score, candidate, True
        if not improved:
            break
    return shift


def _apply_log_prior(probabilities: FloatArray, shift: FloatArray) -> FloatArray:
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) + shift
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float64)


def _stacker(kind: str) -> Pipeline:
    """A logistic regression over standardised base scores and lengths, ``linear`` or ``quadratic``.

    The quadratic one also reads products of scores: "positive *and* negative evidence" is how neutral
    feedback looks, and a linear stacker can only add the two up.
    """
    if kind == "quadratic":
        # Many more inputs (products of ~10 columns): a stronger penalty keeps it from fitting noise.
        steps = [StandardScaler(), PolynomialFeatures(2), LogisticRegression(C=QUADRATIC_STACKER_C, max_iter=3000)]
    else:
        steps = [StandardScaler(), LogisticRegression(C=STACKER_C, max_iter=1000)]
    return make_pipeline(*steps)


def _proba(model: Pipeline, inputs: FloatArray) -> FloatArray:
    return np.asarray(model.predict_proba(inputs), dtype=np.float64)


def choose_stacker(inputs: FloatArray, targets: NDArray[np.int64], seed: int) -> str:
    """The stacker kind with the better cross-validated macro-F1 on out-of-fold base scores.

    Each candidate is scored as it will be used: fitted and its log-prior shift tuned on the other
    folds, then applied to the held fold. Quadratic has to win by :data:`QUADRATIC_MARGIN`, since on
    small or two-label sets the two are within noise and the linear one is the safer bet.
    """
    n_labels = int(targets.max()) + 1
    folds = _folds(targets, seed + 1)  # not the base models' split: these rows were all held out once
    scores: dict[str, float] = {}
    for kind in STACKERS:
        predicted = np.zeros(len(targets), dtype=np.int64)
        for fit_rows, held_rows in folds.split(inputs, targets):
            model = _stacker(kind).fit(inputs[fit_rows], targets[fit_rows])
            shift = tune_log_prior(_proba(model, inputs[fit_rows]), targets[fit_rows])
            predicted[held_rows] = np.argmax(_apply_log_prior(_proba(model, inputs[held_rows]), shift), axis=1)
        scores[kind] = macro_f1(targets, predicted, n_labels)
    return "quadratic" if scores["quadratic"] > scores["linear"] + QUADRATIC_MARGIN else "linear"


class SklearnTextClassifier:
    """A fitted featurizer, base models, stacker and log-prior shift; meets ``TextClassifier``."""

    def __init__(
        self,
        labels: tuple[str, ...],
        featurizer: TextFeaturizer,
        base_models: _BaseModels,
        stacker: Pipeline,
        log_prior_shift: FloatArray,
    ) -> None:
        self._labels = labels
        self.featurizer = featurizer
        self.base_models = base_models
        self.stacker = stacker
        self.log_prior_shift = log_prior_shift

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        if not texts:
            return np.zeros((0, len(self._labels)))
        features, lengths = self.featurizer.transform_with_lengths(texts)
        inputs = np.hstack([self.base_models.scores(features), lengths])
        return _apply_log_prior(_proba(self.stacker, inputs), self.log_prior_shift)

    def save(self, directory: Path) -> list[str]:
        state = {
            "format_version": FORMAT_VERSION,
            "labels": self._labels,
            "featurizer": self.featurizer,
            "base_models": self.base_models,
            "stacker": self.stacker,
            "log_prior_shift": self.log_prior_shift,
        }
        joblib.dump(state, directory / ARTIFACT, compress=3)
        return [ARTIFACT]


def load(directory: Path) -> SklearnTextClassifier:
    """Read a classifier written by :meth:`SklearnTextClassifier.save`.

    joblib files are pickles: only load directories whose sha256 was checked
    (:func:`models.trained.modeldir.load_model` does that before calling this).
    """
    path = directory / ARTIFACT
    try:
        state: dict[str, Any] = joblib.load(path)
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: scikit-learn model file is missing") from exc
    except Exception as exc:  # unpickling can fail in many ways; all mean "not a usable artifact"
        raise ModelError(f"{path}: cannot load scikit-learn model: {exc}") from exc
    if not isinstance(state, dict) or "format_version" not in state:
        raise ModelError(f"{path}: not a scikit-learn model written by monitor models train")
    if state["format_version"] != FORMAT_VERSION:
        raise ModelError(
            f"{path}: a scikit-learn model of format version {state['format_version']}; this version reads "
            f"format {FORMAT_VERSION}: train it again with monitor models train (then pin the new digest)"
        )
    return SklearnTextClassifier(
        tuple(state["labels"]),
        state["featurizer"],
        state["base_models"],
        state["stacker"],
        np.asarray(state["log_prior_shift"], dtype=np.float64),
    )


def _folds(targets: NDArray[np.int64], seed: int) -> StratifiedKFold:
    smallest = int(np.bincount(targets).min())
    if smallest < 2:
        raise ModelError("every label needs at least 2 training texts (cross-validation calibrates the model)")
    return StratifiedKFold(n_splits=min(FOLDS, smallest), shuffle=True, random_state=seed)


def fit(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    *,
    dev_texts: Sequence[str] | None = None,
    dev_labels: Sequence[str] | None = None,
    progress: Progress | None = None,
    seed: int = 13,
) -> SklearnTextClassifier:
    """Fit the stacked classifier on any label set.

    ``dev_texts``/``dev_labels`` are accepted for parity with the transformers backend and ignored:
    calibration and the macro-F1 prior shift are tuned on out-of-fold training predictions, so a dev
    file measures the model without having shaped it.

    Raises:
        ModelError: texts and labels differ in length, fewer than 2 labels, or a label with 1 text.
    """
    del dev_texts, dev_labels
    report = progress or (lambda _message: None)
    if len(train_texts) != len(train_labels):
        raise ModelError(f"{len(train_texts)} texts but {len(train_labels)} labels")
    labels = tuple(sorted(set(train_labels)))
    if len(labels) < 2:
        raise ModelError(f"a classifier needs at least 2 labels, got {list(labels)}")
    index = {label: i for i, label in enumerate(labels)}
    targets = np.array([index[label] for label in train_labels], dtype=np.int64)
    folds = _folds(targets, seed)

    report(f"extracting features from {len(train_texts):,} texts…")
    featurizer = TextFeaturizer()
    features, lengths = featurizer.fit_transform_with_lengths(train_texts)
    report(f"{features.shape[1]:,} features; {folds.n_splits}-fold out-of-fold scores for calibration…")
    out_of_fold = np.zeros((len(targets), _BaseModels.n_scores(len(labels))))
    for number, (fit_rows, held_rows) in enumerate(folds.split(np.zeros(len(targets)), targets), start=1):
        fold_models = _BaseModels(seed).fit(features[fit_rows], targets[fit_rows], len(labels))
        out_of_fold[held_rows] = fold_models.scores(features[held_rows])
        report(f"calibration fold {number}/{folds.n_splits} done")
    stacker_inputs = np.hstack([out_of_fold, lengths])
    # One BLAS thread: a multi-threaded BLAS sums in an order that depends on the core count, and the
    # linear and quadratic stackers can be close enough that those last bits flip the choice (UIT-ViHSD:
    # linear on one thread, quadratic on two, dev macro-F1 0.675 vs 0.661). Training must not depend on
    # the machine; these fits are small, so one thread costs nothing noticeable.
    with threadpool_limits(limits=1):
        kind = choose_stacker(stacker_inputs, targets, seed)
        report(f"{kind} stacker chosen by cross-validation")
        stacker = _stacker(kind).fit(stacker_inputs, targets)
        shift = tune_log_prior(_proba(stacker, stacker_inputs), targets)
    report(f"fitting the final models on {len(train_texts):,} texts…")
    base_models = _BaseModels(seed).fit(features, targets, len(labels))
    return SklearnTextClassifier(labels, featurizer, base_models, stacker, shift)
