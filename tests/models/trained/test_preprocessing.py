"""A model card declares the text pre-processing its model expects, and the transformers path applies it.

PhoBERT's vocabulary is word-segmented ("Thành_phố Biên_Hòa"). The tests build a tiny PhoBERT-style base
themselves, offline: a real ``PhobertTokenizer`` (BPE) whose vocabulary holds segmented words, on a
randomly initialised two-layer RoBERTa. Raw and segmented text then give different token ids, so what
reaches the tokenizer is visible, from training through the pinned model the service scores with.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import PhobertTokenizer, RobertaConfig, RobertaModel

from models.segmentation import underthesea_module
from models.trained.modeldir import (
    CARD_FILE,
    DataRef,
    ModelCard,
    load_model,
    model_digest,
    now_utc,
    read_card,
    write_model,
)
from models.trained.preprocess import NO_PREPROCESSING, WORD_SEGMENTED, Preprocessing, preprocess
from models.trained.train import train_model
from models.trained.transformers_backend import TransformersTextClassifier, fit, load
from monitor.analysis import SentimentLabel
from monitor.cli import main
from monitor.errors import ModelError
from monitor.ingestion.workers import score_documents
from monitor.records import Document, Platform, doc_id_for_post
from tests.conftest import make_config_dir, open_monitor

PLACES = ["Thành phố Biên Hòa", "Long Thành", "Trảng Bom", "Nhơn Trạch", "Thành phố Long Khánh", "Vĩnh Cửu"]
NEGATIVE = ["ngập lụt nặng, người dân bức xúc", "kẹt xe kéo dài, thất vọng", "rác thải ô nhiễm môi trường"]
POSITIVE = ["đường mới thông thoáng, hài lòng", "công viên sạch đẹp, tuyệt vời", "thủ tục nhanh chóng, cảm ơn"]
TEXTS = [f"{place} {phrase}" for place in PLACES for phrase in NEGATIVE + POSITIVE]
LABELS = ["negative" if phrase in NEGATIVE else "positive" for _ in PLACES for phrase in NEGATIVE + POSITIVE]
POSITIONS = 66  # RoBERTa reserves two positions: 64 tokens
DOCUMENT = "Thành phố Biên Hòa ngập lụt nặng sau cơn mưa chiều qua, người dân bức xúc"


pytestmark = pytest.mark.usefixtures("few_torch_threads")


def _merges_for(words: list[str]) -> list[str]:
    """fastBPE merges that build each word left to right; earlier words win (lower ranks)."""
    merges: list[str] = []
    for word in words:
        symbols = [*word[:-1], word[-1] + "</w>"]
        built = symbols[0]
        for symbol in symbols[1:]:
            merges.append(f"{built} {symbol} 1")
            built += symbol
    return list(dict.fromkeys(merges))


def _build_phobert_base(directory: Path) -> Path:
    """A PhoBERT-style base: PhobertTokenizer over segmented words, random RoBERTa weights."""
    segmented = preprocess([*TEXTS, DOCUMENT], WORD_SEGMENTED)
    words = sorted({word for text in segmented for word in text.split()}, key=lambda w: (-w.count("_"), w))
    directory.mkdir(parents=True)
    (directory / "bpe.codes").write_text("\n".join(_merges_for(words)) + "\n", encoding="utf-8")
    (directory / "vocab.txt").write_text("", encoding="utf-8")
    # The vocabulary is whatever BPE makes of the texts, segmented or raw, so neither form is all <unk>.
    draft = PhobertTokenizer.from_pretrained(directory)  # reads vocab.txt and bpe.codes
    tokens = dict.fromkeys(token for text in [*segmented, *TEXTS, DOCUMENT] for token in draft.tokenize(text))
    (directory / "vocab.txt").write_text("".join(f"{token} 1\n" for token in [*tokens, "<mask>"]), encoding="utf-8")
    tokenizer = PhobertTokenizer.from_pretrained(directory, model_max_length=64)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=POSITIONS,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    config.tokenizer_class = "PhobertTokenizer"  # as in vinai/phobert-base's config.json
    torch.manual_seed(0)
    RobertaModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def phobert_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_phobert_base(tmp_path_factory.mktemp("tiny-phobert") / "base")


@pytest.fixture(scope="module")
def tokenizer(phobert_base: Path) -> PhobertTokenizer:
    loaded: PhobertTokenizer = PhobertTokenizer.from_pretrained(phobert_base)
    return loaded


def _ids(tokenizer: PhobertTokenizer, text: str) -> list[int]:
    return list(tokenizer(text)["input_ids"])


# -- the one function -------------------------------------------------------------------------------


def test_word_segmentation_joins_the_syllables_of_each_word() -> None:
    texts = ["Thành phố Biên Hòa ngập lụt nặng", "", "   ", "UBND tỉnh Đồng Nai thông báo"]
    assert preprocess(texts, WORD_SEGMENTED) == [
        "Thành_phố Biên_Hòa ngập_lụt nặng",
        "",
        "   ",
        "UBND tỉnh Đồng_Nai thông_báo",
    ]
    assert preprocess(texts, NO_PREPROCESSING) == texts
    both = Preprocessing(word_segmentation="underthesea", lowercase=True)
    assert preprocess(["Thành phố Biên Hòa"], both) == ["thành_phố biên_hòa"]
    assert preprocess(["Thành phố Biên Hòa"], Preprocessing(lowercase=True)) == ["thành phố biên hòa"]


def test_unknown_preprocessing_is_named_with_what_is_known() -> None:
    with pytest.raises(ValueError, match=r"unknown word segmentation 'vncorenlp'; known: none, underthesea"):
        Preprocessing.model_validate({"word_segmentation": "vncorenlp"})
    with pytest.raises(ValueError, match=r"unknown pre-processing 'stemming'; known: lowercase, word_segmentation"):
        Preprocessing.model_validate({"stemming": True})


# -- the backend ------------------------------------------------------------------------------------


def test_the_tiny_base_reads_segmented_and_raw_text_differently(tokenizer: PhobertTokenizer) -> None:
    # Otherwise the tests below could not tell whether segmentation reached the tokenizer.
    assert tokenizer.tokenize("Thành_phố Biên_Hòa") == ["Thành_phố", "Biên_Hòa"]
    assert _ids(tokenizer, "Thành phố Biên Hòa") != _ids(tokenizer, "Thành_phố Biên_Hòa")
    assert tokenizer.unk_token_id not in _ids(tokenizer, "Thành phố Biên Hòa")


@pytest.fixture(scope="module")
def phobert_model(phobert_base: Path) -> TransformersTextClassifier:
    """Fine-tuned without saying how to pre-process: the PhoBERT tokenizer means segmented text."""
    return fit(TEXTS, LABELS, base=str(phobert_base), epochs=6, batch_size=8, learning_rate=3e-3)


def test_a_phobert_base_is_fine_tuned_on_word_segmented_text(
    phobert_model: TransformersTextClassifier, tokenizer: PhobertTokenizer
) -> None:
    assert phobert_model.preprocessing == WORD_SEGMENTED
    assert phobert_model.prepare([DOCUMENT]) == [underthesea_module().word_tokenize(DOCUMENT, format="text")]
    encoded = phobert_model.encode([DOCUMENT])["input_ids"][0].tolist()
    assert encoded == _ids(tokenizer, phobert_model.prepare([DOCUMENT])[0])
    assert encoded != _ids(tokenizer, DOCUMENT)
    assert "Thành_phố" in tokenizer.convert_ids_to_tokens(encoded)
    # It learned from segmented text: its training texts, prepared the same way, are read correctly.
    predicted = [phobert_model.labels[i] for i in phobert_model.predict_proba(TEXTS).argmax(axis=1)]
    assert np.mean([p == t for p, t in zip(predicted, LABELS, strict=True)]) >= 0.9


def test_a_declared_preprocessing_overrides_the_bases_default(phobert_base: Path, tokenizer: PhobertTokenizer) -> None:
    raw = fit(TEXTS, LABELS, base=str(phobert_base), epochs=1, batch_size=32, preprocessing=NO_PREPROCESSING)
    assert raw.preprocessing == NO_PREPROCESSING
    assert raw.encode([DOCUMENT])["input_ids"][0].tolist() == _ids(tokenizer, DOCUMENT)


def test_loading_applies_the_preprocessing_it_is_given(
    phobert_model: TransformersTextClassifier, tmp_path: Path
) -> None:
    phobert_model.save(tmp_path)
    segmented = load(tmp_path, preprocessing=WORD_SEGMENTED)
    raw = load(tmp_path, preprocessing=NO_PREPROCESSING)
    texts = [DOCUMENT, "Long Thành kẹt xe kéo dài", ""]
    np.testing.assert_array_equal(segmented.predict_proba(texts), phobert_model.predict_proba(texts))
    assert not np.allclose(raw.predict_proba(texts[:2]), phobert_model.predict_proba(texts[:2]))


# -- train -> pin -> serve --------------------------------------------------------------------------


def _train_with_the_cli(folder: Path, base: Path, *extra: str) -> tuple[Path, str]:
    data = folder / "train.jsonl"
    rows = [{"text": text, "label": label} for text, label in zip(TEXTS, LABELS, strict=True)]
    data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    out = folder / "sentiment-phobert"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(
            [
                *("models", "train", "sentiment", "--data", str(data), "--out", str(out)),
                *("--backend", "transformers", "--base", str(base), *extra),
            ]
        )
    assert code == 0, stderr.getvalue()
    digest = stdout.getvalue().split("sha256: ")[1].split()[0]
    return out, digest


@pytest.fixture(scope="module")
def cli_trained(phobert_base: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``monitor models train --backend transformers`` on the PhoBERT-style base, nothing said about segmenting."""
    return _train_with_the_cli(tmp_path_factory.mktemp("cli"), phobert_base)


@pytest.fixture(scope="module")
def pinned(phobert_model: TransformersTextClassifier, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The fine-tuned model written as a model directory (as training does) and its digest, for the pin.

    Written from ``fit`` rather than the CLI: the CLI's settings (learning rate 5e-5, 3 epochs) leave a
    randomly initialised model at 0.50/0.50 on every text, which would hide what pre-processing it saw.
    """
    directory = tmp_path_factory.mktemp("pinned") / "sentiment-phobert"
    now = now_utc()
    card = ModelCard(
        task="sentiment",
        backend="transformers",
        name="sentiment-phobert",
        version=now.strftime("%Y%m%d%H%M%S"),
        labels=phobert_model.labels,
        created_at=now,
        train_data=DataRef(path="train.jsonl", sha256="0" * 64, rows=len(TEXTS)),
        metrics={},
        params={"base": "tiny-phobert"},
        files={},
    )
    written = write_model(directory, phobert_model, card)
    assert written.preprocessing == WORD_SEGMENTED  # taken from what the classifier was trained with
    return directory, model_digest(directory)


def _pin(config: Path, model: Path, digest: str) -> None:
    (config / "models.yaml").write_text(
        f"trained:\n  sentiment:\n    path: {model}\n    sha256: {digest}\n", encoding="utf-8"
    )


def test_training_records_the_preprocessing_in_the_card(cli_trained: tuple[Path, str]) -> None:
    model, digest = cli_trained
    card = json.loads((model / CARD_FILE).read_text(encoding="utf-8"))
    assert card["preprocessing"] == {"word_segmentation": "underthesea", "lowercase": False}
    assert card["backend"] == "transformers"
    assert model_digest(model) == digest


def test_the_service_scores_with_the_pinned_model_on_segmented_text(pinned: tuple[Path, str], tmp_path: Path) -> None:
    model, digest = pinned
    config = make_config_dir(tmp_path / "configs")
    _pin(config, model, digest)
    monitor = open_monitor(config)  # what `monitor run` builds, scoring in this process (workers: 0)
    try:
        now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
        document = Document(
            doc_id=doc_id_for_post("facebook", "bien-hoa-ngap"),
            source_id="social",
            platform=Platform.FACEBOOK,
            url="https://facebook.example/posts/bien-hoa-ngap",
            text=DOCUMENT,
            published_at=now,
            fetched_at=now,
        )
        [scored] = score_documents(monitor.workers.analyzer, [document]).scored
    finally:
        monitor.close()
    sentiment = scored.analysis.sentiment
    card = read_card(model)
    assert sentiment.model.name == card.name == "sentiment-phobert"
    assert sentiment.model.version == f"{card.version}+{digest[:12]}"
    # The probabilities are the pinned model's on segmented text, not on the raw text it would misread.
    _, classifier = load_model(model, expected_digest=digest)
    content = scored.document.content
    expected = classifier.predict_proba([content])[0]
    served = [sentiment.probabilities[SentimentLabel(label)] for label in classifier.labels]
    np.testing.assert_allclose(served, np.round(expected, 4), atol=1e-4)
    assert sentiment.label == "negative"
    unsegmented = load(model, preprocessing=NO_PREPROCESSING).predict_proba([content])[0]
    assert np.abs(np.array(served) - unsegmented).max() > 0.01


def test_the_cli_can_choose_no_segmentation(phobert_base: Path, tmp_path: Path) -> None:
    model, _ = _train_with_the_cli(tmp_path, phobert_base, "--word-segmentation", "none")
    assert read_card(model).preprocessing == NO_PREPROCESSING
    # Fine-tuning that model further keeps what its card says, though its tokenizer is PhoBERT's.
    again = fit(TEXTS, LABELS, base=str(model), epochs=1, batch_size=32)
    assert again.preprocessing == NO_PREPROCESSING


@pytest.mark.parametrize(
    ("declared", "complaint"),
    [
        ({"word_segmentation": "vncorenlp"}, "unknown word segmentation 'vncorenlp'"),
        ({"stemming": True}, "unknown pre-processing 'stemming'"),
    ],
)
def test_a_card_with_unknown_preprocessing_fails_the_config_check(
    pinned: tuple[Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    declared: dict[str, object],
    complaint: str,
) -> None:
    # An office's model directory whose card asks for something the backend cannot do: refused at load,
    # naming the directory's card and the field, before any document is scored wrongly.
    model = tmp_path / "office-phobert"
    model.mkdir()
    for path in pinned[0].iterdir():
        (model / path.name).write_bytes(path.read_bytes())
    card = json.loads((model / CARD_FILE).read_text(encoding="utf-8"))
    card["preprocessing"] = declared
    (model / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        read_card(model)
    assert str(model / CARD_FILE) in caught.value.message
    assert "preprocessing" in caught.value.message
    assert complaint in caught.value.message

    config = make_config_dir(tmp_path / "configs")
    _pin(config, model, "f" * 64)  # the card is refused before its digest is even compared
    code = main(["--config-dir", str(config), "config", "check"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(model / CARD_FILE) in err
    assert "trained.sentiment" in err
    assert complaint in err


def test_a_sklearn_card_cannot_declare_preprocessing(pinned: tuple[Path, str], tmp_path: Path) -> None:
    card = json.loads((pinned[0] / CARD_FILE).read_text(encoding="utf-8"))
    card["backend"] = "sklearn"
    (tmp_path / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="preprocessing applies to the transformers backend"):
        read_card(tmp_path)


def test_sklearn_training_refuses_a_preprocessing(tmp_path: Path) -> None:
    # The scikit-learn recipe builds its own views of the text (word and character n-grams, accent-folded
    # words); a card-level transformation would change what its features mean.
    data = tmp_path / "train.jsonl"
    rows = [{"text": text, "label": label} for text, label in zip(TEXTS, LABELS, strict=True)]
    data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(ModelError, match="pre-processing is for the transformers backend"):
        train_model("sentiment", data, tmp_path / "model", preprocessing=WORD_SEGMENTED)
    assert not (tmp_path / "model").exists()
