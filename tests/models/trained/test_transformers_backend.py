"""The transformers backend, end to end on a tiny BERT that the test builds and fine-tunes itself.

Nothing comes from the hub: the WordPiece tokenizer is trained on the test's own Vietnamese reviews and the
model is randomly initialised, both saved to a temporary directory that serves as the base model.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub import constants as hub_constants
from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordPiece
from tokenizers.trainers import WordPieceTrainer
from transformers import BertConfig, BertModel, BertTokenizer

from models.trained.preprocess import NO_PREPROCESSING
from models.trained.transformers_backend import TransformersTextClassifier, fit, load, macro_f1
from monitor.errors import ModelError

SUBJECTS = ["nhân viên", "phòng", "đồ ăn", "dịch vụ", "khách sạn", "nv", "quán", "shop"]
# With and without diacritics, teencode (ko, dc, wá) and emoji.
POSITIVE = [
    "rất tốt",
    "tuyệt vời 😍",
    "thân thiện",
    "sạch sẽ",
    "dc lắm 👍",
    "rat tot",
    "tuyet voi",
    "ổn áp, sẽ quay lại",
]
NEGATIVE = ["quá tệ", "ko ổn 😡", "bẩn", "thái độ kém", "thất vọng", "te qua", "chán, ko quay lại", "wá tệ 👎"]
POSITIONS = 64  # the tiny model's position limit: longer texts must be truncated, not crash
EPOCHS = 8
LONG_TEXT = " ".join(["phòng rất tốt nhưng nhân viên thái độ kém"] * 400)


def _split(part: int) -> tuple[list[str], list[str]]:
    """Every (subject, phrase) pair lands in exactly one part: 0, 1 = train, 2 = dev, 3 = holdout."""
    texts, labels = [], []
    for label, phrases in (("positive", POSITIVE), ("negative", NEGATIVE)):
        for i, subject in enumerate(SUBJECTS):
            for j, phrase in enumerate(phrases):
                if (i + j) % 4 == part or (part == 0 and (i + j) % 4 == 1):
                    texts.append(f"{subject} {phrase}")
                    labels.append(label)
    return texts, labels


TRAIN = _split(0)
DEV = _split(2)
HOLDOUT = _split(3)


def _accuracy(classifier: TransformersTextClassifier, texts: list[str], labels: list[str]) -> float:
    predicted = [classifier.labels[i] for i in classifier.predict_proba(texts).argmax(axis=1)]
    return float(np.mean([p == t for p, t in zip(predicted, labels, strict=True)]))


def _build_base(directory: Path, texts: list[str]) -> Path:
    """A randomly initialised 2-layer BERT and a WordPiece tokenizer trained on ``texts``."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wordpiece = Tokenizer(WordPiece(unk_token="[UNK]"))
    # Keep the diacritics: BERT's default lower-casing would strip them and merge "tốt" with "tot".
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.train_from_iterator(texts, WordPieceTrainer(vocab_size=400, special_tokens=specials))
    tokenizer = BertTokenizer(vocab=wordpiece.get_vocab(), do_lower_case=True, strip_accents=False)
    config = BertConfig(
        vocab_size=len(wordpiece.get_vocab()),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=POSITIONS,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


pytestmark = pytest.mark.usefixtures("few_torch_threads")


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_base(tmp_path_factory.mktemp("tiny-bert"), TRAIN[0])


@pytest.fixture(scope="module")
def trained(base_dir: Path) -> tuple[TransformersTextClassifier, list[str]]:
    messages: list[str] = []
    classifier = fit(
        *TRAIN,
        dev_texts=DEV[0],
        dev_labels=DEV[1],
        base=str(base_dir),
        progress=messages.append,
        epochs=EPOCHS,
        batch_size=8,
        learning_rate=3e-3,  # a randomly initialised model needs a larger step than a pretrained one
    )
    return classifier, messages


def test_fine_tuning_learns_a_vietnamese_review_task(trained: tuple[TransformersTextClassifier, list[str]]) -> None:
    classifier, _ = trained
    assert len(TRAIN[0]) == 64
    assert _accuracy(classifier, *TRAIN) >= 0.95
    # Unseen subject/phrase pairs: far above the 0.5 of chance.
    assert _accuracy(classifier, *HOLDOUT) >= 0.8
    assert classifier.device.type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_progress_per_epoch_and_the_best_dev_epoch_is_kept(
    trained: tuple[TransformersTextClassifier, list[str]],
) -> None:
    classifier, messages = trained
    pattern = re.compile(rf"epoch (\d+)/{EPOCHS}: loss (\d+\.\d\d), dev macro-F1 (\d\.\d\d)")
    epochs = [match for match in map(pattern.fullmatch, messages) if match]
    assert [int(m.group(1)) for m in epochs] == list(range(1, EPOCHS + 1))
    losses = [float(m.group(2)) for m in epochs]
    assert losses[-1] < losses[0]
    best = max(float(m.group(3)) for m in epochs)
    truth = np.array([classifier.labels.index(label) for label in DEV[1]])
    predicted = classifier.predict_proba(DEV[0]).argmax(axis=1)
    assert round(macro_f1(truth, predicted, 2), 2) == best


def test_an_earlier_epoch_is_restored_when_it_scored_best_on_dev(base_dir: Path) -> None:
    # Dev labels are the opposite of training's, so dev macro-F1 only falls as the model learns: the
    # returned model must be the early epoch's, restored, not the last one.
    flipped = ["negative" if label == "positive" else "positive" for label in DEV[1]]
    messages: list[str] = []
    classifier = fit(
        *TRAIN,
        dev_texts=DEV[0],
        dev_labels=flipped,
        base=str(base_dir),
        progress=messages.append,
        epochs=6,
        batch_size=8,
        learning_rate=5e-3,
    )
    scores = [float(m.rsplit(" ", 1)[1]) for m in messages if m.startswith("epoch ")]
    kept = re.fullmatch(r"kept epoch (\d+): best dev macro-F1 (\d\.\d\d)", messages[-1])
    assert kept, messages
    assert int(kept.group(1)) < 6
    assert float(kept.group(2)) == max(scores) > scores[-1]
    truth = np.array([classifier.labels.index(label) for label in flipped])
    predicted = classifier.predict_proba(DEV[0]).argmax(axis=1)
    assert round(macro_f1(truth, predicted, 2), 2) == max(scores)


def test_labels_are_sorted_and_recorded_in_the_model_config(
    trained: tuple[TransformersTextClassifier, list[str]], tmp_path: Path
) -> None:
    classifier, _ = trained
    assert classifier.labels == ("negative", "positive")
    classifier.save(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert config["id2label"] == {"0": "negative", "1": "positive"}
    assert config["label2id"] == {"negative": 0, "positive": 1}


def test_probabilities_for_empty_long_and_ordinary_texts(
    trained: tuple[TransformersTextClassifier, list[str]],
) -> None:
    classifier, _ = trained
    texts = ["", LONG_TEXT, "Nhân viên rất thân thiện 😍", "dich vu te qua, ko quay lai", "   "]
    probabilities = classifier.predict_proba(texts)
    assert probabilities.shape == (5, 2)
    assert probabilities.dtype == np.float64
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    assert classifier.max_length == POSITIONS  # fit asked for 256; the model has 64 positions
    # Rows come back in input order, whatever the batching.
    for text, row in zip(texts, probabilities, strict=True):
        np.testing.assert_allclose(classifier.predict_proba([text])[0], row, atol=1e-5)
    assert classifier.predict_proba([]).shape == (0, 2)


def test_save_then_load_gives_identical_probabilities(
    trained: tuple[TransformersTextClassifier, list[str]], tmp_path: Path
) -> None:
    classifier, _ = trained
    card = tmp_path / "model.json"
    card.write_text('{"written by": "the model directory code"}', encoding="utf-8")

    written = classifier.save(tmp_path)

    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(written)
    assert written == sorted(written)
    assert "model.json" not in written
    assert card.read_text(encoding="utf-8") == '{"written by": "the model directory code"}'
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == {*written, "model.json"}  # no scratch folder or .bin left behind
    loaded = load(tmp_path, preprocessing=NO_PREPROCESSING)
    assert loaded.labels == classifier.labels
    assert loaded.max_length == classifier.max_length
    texts = [*HOLDOUT[0], "", LONG_TEXT]
    np.testing.assert_array_equal(loaded.predict_proba(texts), classifier.predict_proba(texts))


def test_training_is_deterministic_for_a_seed(base_dir: Path) -> None:
    def probabilities(seed: int) -> np.ndarray:
        classifier = fit(*TRAIN, base=str(base_dir), seed=seed, epochs=2, batch_size=8, learning_rate=3e-3)
        return classifier.predict_proba(HOLDOUT[0])

    first = probabilities(7)
    np.testing.assert_array_equal(probabilities(7), first)
    assert not np.array_equal(probabilities(8), first)


def test_without_dev_set_progress_reports_the_loss(base_dir: Path) -> None:
    messages: list[str] = []
    fit(*TRAIN, base=str(base_dir), progress=messages.append, epochs=1, batch_size=32)
    assert re.fullmatch(r"epoch 1/1: loss \d+\.\d\d", messages[-1])


class _NetworkLog:
    """Socket connects and name lookups seen while ``recording`` (Python audit events, PEP 578)."""

    EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"})

    def __init__(self) -> None:
        self.recording = False
        self.events: list[str] = []
        sys.addaudithook(self._hook)  # audit hooks cannot be removed; ``recording`` switches this one off

    def _hook(self, event: str, args: tuple[object, ...]) -> None:
        if self.recording and event in self.EVENTS:
            self.events.append(f"{event} {args!r}")


@pytest.fixture(scope="module")
def network_log() -> _NetworkLog:
    return _NetworkLog()


@pytest.fixture
def online(network_log: _NetworkLog, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The hub's offline switch off, as on an operator's machine, and every network attempt recorded."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    # huggingface_hub reads the variable once, at import; this is the value its checks consult.
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    network_log.events.clear()
    network_log.recording = True
    yield network_log.events
    network_log.recording = False


def test_the_network_log_sees_lookups(online: list[str]) -> None:
    # Otherwise the "no network" assertions below could pass by seeing nothing at all.
    socket.getaddrinfo("localhost", None)
    assert online


def test_the_token_limit_is_kept_through_save_and_load(base_dir: Path, tmp_path: Path, online: list[str]) -> None:
    classifier = fit(*TRAIN, base=str(base_dir), epochs=1, batch_size=32, max_length=16)
    assert classifier.max_length == 16
    classifier.save(tmp_path)
    loaded = load(tmp_path, preprocessing=NO_PREPROCESSING)
    assert loaded.max_length == 16
    np.testing.assert_array_equal(loaded.predict_proba([LONG_TEXT]), classifier.predict_proba([LONG_TEXT]))
    assert online == []  # fit, save and load from directories never reach for the network


def _fails_fast(base: str) -> str:
    start = time.monotonic()
    with pytest.raises(ModelError) as caught:
        fit(*TRAIN, base=base)
    assert time.monotonic() - start < 5
    return caught.value.message


def test_a_missing_base_directory_fails_fast_with_advice(tmp_path: Path, online: list[str]) -> None:
    missing = tmp_path / "models" / "phobert-base"
    message = _fails_fast(str(missing))
    assert str(missing) in message
    assert "--base" in message
    assert online == []


def test_an_uncached_hub_id_fails_fast_without_touching_the_network(online: list[str]) -> None:
    message = _fails_fast("no-such-org/no-such-model")
    assert "no-such-org/no-such-model" in message
    assert "cache" in message
    assert "--base" in message
    assert online == []


def test_bases_that_are_not_models_are_refused(tmp_path: Path) -> None:
    assert "config.json" in _fails_fast(str(tmp_path))  # a directory, but no model in it
    (tmp_path / "weights.bin").write_bytes(b"\0")
    assert "is a file" in _fails_fast(str(tmp_path / "weights.bin"))
    assert "valid hub id" in _fails_fast("not a model id!")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json", encoding="utf-8")
    assert "cannot load" in _fails_fast(str(tmp_path / "broken"))


def test_a_cached_hub_id_loads_from_the_cache_only(
    base_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, online: list[str]
) -> None:
    # Lay the tiny model out as `hf download` would in a Hugging Face cache, and point the hub library's
    # cache setting (read from HF_HUB_CACHE at import) at it. The offline switch is off, so only
    # local_files_only keeps transformers off the network.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--local-test--tiny-bert"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for file in base_dir.iterdir():
        (snapshot / file.name).write_bytes(file.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    start = time.monotonic()
    classifier = fit(*TRAIN, base="local-test/tiny-bert", epochs=1, batch_size=32)
    assert time.monotonic() - start < 10
    assert classifier.labels == ("negative", "positive")
    assert online == []


def test_inconsistent_training_data_is_refused(base_dir: Path) -> None:
    base = str(base_dir)
    with pytest.raises(ModelError, match="labels"):
        fit(["a", "b"], ["positive"], base=base)
    with pytest.raises(ModelError, match="at least two labels"):
        fit(["a", "b"], ["positive", "positive"], base=base)
    with pytest.raises(ModelError, match="not seen in training"):
        fit(*TRAIN, dev_texts=["x"], dev_labels=["neutral"], base=base)
    with pytest.raises(ModelError, match="both dev texts and dev labels"):
        fit(*TRAIN, dev_texts=["x"], base=base)


def test_loading_a_missing_or_broken_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load(tmp_path / "absent", preprocessing=NO_PREPROCESSING)
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError, match="cannot load"):
        load(tmp_path, preprocessing=NO_PREPROCESSING)
