"""Transformer text classifiers: fine-tune ``AutoModelForSequenceClassification`` and score with it.

The base model is a local directory or a Hugging Face hub id that is already in the local cache. The base
is found on disk before transformers sees it (:mod:`models.trained.transformers_base`: a hub id becomes
its cached snapshot directory) and every load passes ``local_files_only=True``, so a missing model is a
:class:`~monitor.errors.ModelError` within milliseconds, never a download and never a hang on an
unreachable network (with or without ``HF_HUB_OFFLINE``).

Training is a plain PyTorch loop (AdamW, linear warm-up then decay, class-weighted cross-entropy) rather
than ``transformers.Trainer``, which would pull in ``accelerate`` and ``datasets`` for no gain at this
size. It runs on CUDA when present and on the CPU otherwise, and is deterministic for a seed on a given
device. With a dev set, the epoch with the best dev macro-F1 is the one kept.

Texts go through the model's declared pre-processing (:mod:`models.trained.preprocess`, recorded in the
model card) before the tokenizer, in training and in scoring alike: PhoBERT reads word-segmented text.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BatchEncoding,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from models.trained.preprocess import Preprocessing, preprocess
from models.trained.transformers_base import base_preprocessing, resolve_base
from monitor.errors import ModelError

PREDICT_BATCH_SIZE = 32
WARMUP_FRACTION = 0.1
WEIGHT_DECAY = 0.01
MAX_GRAD_NORM = 1.0
# Tokenizers without a configured limit report int(1e30); anything this large means "no limit".
UNSET_MAX_LENGTH = 1_000_000
# transformers raises these for unreadable or incompatible model files (bad config, missing weights,
# unknown model type, shape mismatch); anything else is a bug and should surface as itself.
_LOAD_ERRORS = (OSError, ValueError, KeyError, RuntimeError)

Progress = Callable[[str], None]


class TransformersTextClassifier:
    """A fine-tuned sequence-classification model and its tokenizer, scoring texts in batches."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        max_length: int,
        preprocessing: Preprocessing,
        batch_size: int = PREDICT_BATCH_SIZE,
    ) -> None:
        # Configs read from JSON may still carry string keys; the mapping is only usable as 0..k-1.
        id2label = {int(key): str(value) for key, value in (model.config.id2label or {}).items()}
        if sorted(id2label) != list(range(len(id2label))) or len(id2label) < 2:
            raise ModelError(f"model config has no usable id2label mapping: {id2label!r}")
        self._labels = tuple(id2label[i] for i in range(len(id2label)))
        self._model = model
        self._tokenizer = tokenizer
        self._max_length = max_length
        self._preprocessing = preprocessing
        self._batch_size = batch_size
        self._device = next(model.parameters()).device
        _evaluation_mode(model)

    @property
    def labels(self) -> tuple[str, ...]:
        """The label set, in the column order of :meth:`predict_proba` (sorted at training time)."""
        return self._labels

    @property
    def max_length(self) -> int:
        """Texts are truncated to this many tokens, special tokens included."""
        return self._max_length

    @property
    def preprocessing(self) -> Preprocessing:
        """What texts go through before the tokenizer (recorded in the model card by ``write_model``)."""
        return self._preprocessing

    @property
    def device(self) -> torch.device:
        """Where the model runs (``cuda`` when one was available at load time, else ``cpu``)."""
        return self._device

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """``texts`` as the tokenizer receives them: after the model's pre-processing (e.g. word segmentation)."""
        return preprocess(texts, self._preprocessing)

    def encode(self, texts: Sequence[str]) -> BatchEncoding[torch.Tensor]:
        """Pre-process and tokenize ``texts`` into one padded, truncated batch of tensors on the model's device."""
        return self._encode_prepared(self.prepare(texts))

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Probability of every label for each text: shape ``(len(texts), len(labels))``, rows sum to 1.

        Empty texts are allowed (the model sees only its special tokens); long texts are truncated.
        """
        return self._predict_prepared(self.prepare(texts))

    def _encode_prepared(self, texts: Sequence[str]) -> BatchEncoding[torch.Tensor]:
        encoding: BatchEncoding[torch.Tensor] = self._tokenizer(
            list(texts), padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
        )
        return encoding.to(self._device)

    def _predict_prepared(self, texts: Sequence[str]) -> NDArray[np.float64]:
        result = np.empty((len(texts), len(self._labels)), dtype=np.float64)
        if not texts:
            return result
        # Batching texts of similar length wastes less compute on padding; rows go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        _evaluation_mode(self._model)
        with torch.inference_mode():
            for start in range(0, len(order), self._batch_size):
                rows = order[start : start + self._batch_size]
                logits = self._model(**self._encode_prepared([texts[i] for i in rows])).logits
                # Softmax in float64 so each row sums to 1 to within 1e-15, not float32's 1e-7.
                result[rows] = torch.softmax(logits.double(), dim=-1).cpu().numpy()
        return result

    def save(self, directory: Path) -> list[str]:
        """Write the model (safetensors), its config and the tokenizer into ``directory``.

        Returns:
            The relative names of the files written, sorted. ``model.json`` is left to the caller.
        """
        directory.mkdir(parents=True, exist_ok=True)
        # Save into a scratch folder first: the names transformers writes vary by model and tokenizer,
        # and this lists exactly those, even when ``directory`` already holds other files.
        with tempfile.TemporaryDirectory(dir=directory, prefix=".saving-") as scratch:
            staging = Path(scratch)
            self._model.save_pretrained(staging)
            self._tokenizer.save_pretrained(staging)
            written = []
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    relative = path.relative_to(staging)
                    (directory / relative).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(path, directory / relative)
                    written.append(relative.as_posix())
        if not any(name.endswith(".safetensors") for name in written):
            raise ModelError(f"saving to {directory} wrote no safetensors weights: {written}")
        return written


def fit(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    *,
    dev_texts: Sequence[str] | None = None,
    dev_labels: Sequence[str] | None = None,
    base: str,
    progress: Progress | None = None,
    seed: int = 13,
    epochs: int = 3,
    batch_size: int = 16,
    learning_rate: float = 5e-5,
    max_length: int = 256,
    preprocessing: Preprocessing | None = None,
) -> TransformersTextClassifier:
    """Fine-tune ``base`` as a classifier over the sorted set of ``train_labels``.

    Args:
        train_texts: Training texts.
        train_labels: One label per training text; at least two distinct labels.
        dev_texts: Optional development texts; when given, the epoch with the best dev macro-F1 is kept.
        dev_labels: Labels of ``dev_texts``; every one must occur in ``train_labels``.
        base: A local model directory, or a hub id already in the local Hugging Face cache.
        progress: Called with one line per epoch (loss, and dev macro-F1 when there is a dev set).
        seed: Seeds the classifier-head initialisation, shuffling and dropout.
        epochs: Passes over the training data.
        batch_size: Training batch size.
        learning_rate: Peak AdamW learning rate, reached after a 10% linear warm-up.
        max_length: Token limit per text (lowered to what the model and tokenizer support).
        preprocessing: What texts go through before the tokenizer, in training and later in scoring.
            ``None`` takes the base's needs: a PhoBERT tokenizer gets underthesea word segmentation,
            any other none.

    Returns:
        The fine-tuned classifier, in evaluation mode.

    Raises:
        ModelError: The inputs are inconsistent, or the base model is missing or cannot be loaded.
    """
    _check_training_data(train_texts, train_labels, dev_texts, dev_labels)
    if epochs < 1 or batch_size < 1 or learning_rate <= 0 or max_length < 2:
        raise ModelError(
            f"invalid training settings: epochs={epochs}, batch_size={batch_size}, "
            f"learning_rate={learning_rate}, max_length={max_length}"
        )
    say = progress or _silent
    source = resolve_base(base)
    labels = sorted(set(train_labels))
    label_ids = {label: i for i, label in enumerate(labels)}
    device = _device()

    # The classifier head is initialised randomly inside from_pretrained, so seed before loading.
    torch.manual_seed(seed)
    tokenizer, model = _load(
        source,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id=label_ids,
        problem_type="single_label_classification",
        # A base that is already a classifier (different label count) gets a fresh head, not an error.
        ignore_mismatched_sizes=True,
    )
    if tokenizer.pad_token is None:  # GPT-style tokenizers: batches need some padding token
        if tokenizer.eos_token is None:
            raise ModelError(f"the tokenizer of {base} has neither a padding nor an end-of-text token")
        tokenizer.pad_token = tokenizer.eos_token
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    _move(model, device)
    limit = _max_length(max_length, tokenizer, model.config)
    # Stored in tokenizer_config.json by save(), so load() truncates exactly as training did.
    tokenizer.model_max_length = limit
    if preprocessing is None:
        preprocessing = base_preprocessing(Path(source), type(tokenizer).__name__)
    classifier = TransformersTextClassifier(model, tokenizer, max_length=limit, preprocessing=preprocessing)
    # Prepared once, not every epoch: word segmentation costs far more than tokenizing.
    train_texts = classifier.prepare(train_texts)
    dev_texts = None if dev_texts is None else classifier.prepare(dev_texts)

    targets = torch.tensor([label_ids[label] for label in train_labels], dtype=torch.long)
    steps = math.ceil(len(train_texts) / batch_size) * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=WEIGHT_DECAY)
    step = _Step(
        model=model,
        classifier=classifier,
        loss_function=torch.nn.CrossEntropyLoss(weight=_balanced_weights(targets, len(labels)).to(device)),
        optimizer=optimizer,
        schedule=_warmup_then_linear_decay(optimizer, steps),
    )
    shuffler = torch.Generator().manual_seed(seed)
    dev_targets = None if dev_labels is None else np.array([label_ids[label] for label in dev_labels])

    say(
        f"fine-tuning {base} on {device.type}: {len(train_texts)} texts, {len(labels)} labels, {epochs} epochs, "
        f"pre-processing {preprocessing.model_dump_json()}"
    )
    best_score, best_epoch, best_state = -1.0, 0, None
    for epoch in range(1, epochs + 1):
        model.train()
        total_loss = 0.0
        order = torch.randperm(len(train_texts), generator=shuffler).tolist()
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            total_loss += step([train_texts[i] for i in rows], targets[rows]) * len(rows)
        message = f"epoch {epoch}/{epochs}: loss {total_loss / len(order):.2f}"
        if dev_texts is not None and dev_targets is not None:
            score = macro_f1(dev_targets, classifier._predict_prepared(dev_texts).argmax(axis=1), len(labels))
            message += f", dev macro-F1 {score:.2f}"
            # ">=": on a tie the later epoch has seen the data more often and is usually better calibrated.
            if score >= best_score:
                best_score, best_epoch = score, epoch
                best_state = {name: value.detach().to("cpu", copy=True) for name, value in model.state_dict().items()}
        say(message)
    if best_state is not None and best_epoch != epochs:
        model.load_state_dict(best_state)
        say(f"kept epoch {best_epoch}: best dev macro-F1 {best_score:.2f}")
    _evaluation_mode(model)
    return classifier


def load(directory: Path, *, preprocessing: Preprocessing) -> TransformersTextClassifier:
    """Load a classifier written by :meth:`TransformersTextClassifier.save` (local files only).

    Args:
        directory: The model directory.
        preprocessing: What the model's card declares (required: the card, not the files, knows it).

    Raises:
        ModelError: The directory is missing or does not hold a readable sequence-classification model.
    """
    if not directory.is_dir():
        raise ModelError(f"model directory {directory} does not exist")
    tokenizer, model = _load(str(directory))
    _move(model, _device())
    limit = _max_length(tokenizer.model_max_length, tokenizer, model.config)
    return TransformersTextClassifier(model, tokenizer, max_length=limit, preprocessing=preprocessing)


def macro_f1(true: NDArray[np.int64], predicted: NDArray[np.int64], num_labels: int) -> float:
    """Unweighted mean F1 over the labels that occur in ``true`` or ``predicted``."""
    scores = []
    for label in range(num_labels):
        is_true, is_predicted = true == label, predicted == label
        hits = int(np.sum(is_true & is_predicted))
        misses = int(np.sum(is_true ^ is_predicted))  # false positives plus false negatives
        if hits + misses:  # a label absent from both says nothing about the model
            scores.append(2 * hits / (2 * hits + misses))
    return float(np.mean(scores)) if scores else 0.0


def _load(source: str, **model_options: object) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(source, local_files_only=True, **model_options)
    except _LOAD_ERRORS as exc:
        raise ModelError(f"cannot load a sequence-classification model from {source}: {exc}") from exc
    if not isinstance(model, PreTrainedModel) or not isinstance(tokenizer, PreTrainedTokenizerBase):
        raise ModelError(f"{source} did not load as a transformers model and tokenizer")
    return tokenizer, model


def _max_length(requested: int, tokenizer: PreTrainedTokenizerBase, config: PretrainedConfig) -> int:
    limits = [requested]
    if tokenizer.model_max_length < UNSET_MAX_LENGTH:
        limits.append(tokenizer.model_max_length)
    # RoBERTa-style models (PhoBERT) reserve two positions, but their tokenizers already say 256 of 258.
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits)


def _check_training_data(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    dev_texts: Sequence[str] | None,
    dev_labels: Sequence[str] | None,
) -> None:
    if len(train_texts) != len(train_labels):
        raise ModelError(f"{len(train_texts)} training texts but {len(train_labels)} labels")
    if len(set(train_labels)) < 2:
        raise ModelError(f"training needs at least two labels, got {sorted(set(train_labels))}")
    if (dev_texts is None) != (dev_labels is None):
        raise ModelError("give both dev texts and dev labels, or neither")
    if dev_texts is not None and dev_labels is not None:
        if len(dev_texts) != len(dev_labels):
            raise ModelError(f"{len(dev_texts)} dev texts but {len(dev_labels)} labels")
        if not dev_texts:
            raise ModelError("the dev set is empty")
        unknown = sorted(set(dev_labels) - set(train_labels))
        if unknown:
            raise ModelError(f"dev labels not seen in training: {unknown}")


class _Step:
    """One optimisation step on a batch: forward, weighted loss, clipped backward, update."""

    def __init__(
        self,
        *,
        model: PreTrainedModel,
        classifier: TransformersTextClassifier,
        loss_function: torch.nn.CrossEntropyLoss,
        optimizer: torch.optim.Optimizer,
        schedule: torch.optim.lr_scheduler.LRScheduler,
    ) -> None:
        self._model = model
        self._classifier = classifier
        self._loss_function = loss_function
        self._optimizer = optimizer
        self._schedule = schedule

    def __call__(self, texts: Sequence[str], targets: torch.Tensor) -> float:
        """Train on one batch of texts already pre-processed; returns its mean loss."""
        logits = self._model(**self._classifier._encode_prepared(texts)).logits
        loss = self._loss_function(logits, targets.to(self._classifier.device))
        loss.backward()
        # Clipping keeps one noisy small batch from undoing a pretrained model's weights.
        torch.nn.utils.clip_grad_norm_(self._model.parameters(), MAX_GRAD_NORM)
        self._optimizer.step()
        self._schedule.step()
        self._optimizer.zero_grad()
        return float(loss.item())


def _balanced_weights(targets: torch.Tensor, num_labels: int) -> torch.Tensor:
    # n / (k * count): every label carries the same total weight, so a rare label is not ignored.
    counts = torch.bincount(targets, minlength=num_labels).double()
    return (len(targets) / (num_labels * counts)).float()


def _warmup_then_linear_decay(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    # The usual fine-tuning schedule: ramp up so the fresh head's large early gradients do not wreck the
    # pretrained encoder, then decay linearly to zero at the last step.
    warmup = max(1, int(WARMUP_FRACTION * steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (steps - step) / max(1, steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _move(model: PreTrainedModel, device: torch.device) -> None:
    # PreTrainedModel.to is wrapped with functools.wraps(torch.nn.Module.to), and typeshed's _Wrapped then
    # expects the unbound signature (self first); the call itself is the ordinary Module.to.
    model.to(device)  # type: ignore[arg-type]


def _evaluation_mode(model: PreTrainedModel) -> None:
    # Same as model.eval(), which transformers leaves unannotated (mypy --strict rejects the call).
    model.train(False)


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _silent(_message: str) -> None:
    pass
