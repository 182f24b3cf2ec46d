"""The text pre-processing a model expects, declared in its card and applied before its tokenizer.

A transformer's vocabulary was built from text prepared in a particular way, and it only reads text
prepared the same way. PhoBERT's was built from word-segmented Vietnamese, where the syllables of one
word are joined by underscores ("Thành_phố Biên_Hòa"): raw text gives it syllables it mostly saw inside
words, and quietly lowers its accuracy. The model card (``model.json``) therefore says what a model needs::

    "preprocessing": {"word_segmentation": "underthesea", "lowercase": false}

and :func:`preprocess` is the one function that applies it, to training, dev and scored texts alike, so
a model never sees text at scoring time prepared differently from the text it learned on.

Nothing heavy is imported here: underthesea is loaded on the first text that needs segmenting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

WordSegmentation = Literal["none", "underthesea"]
WORD_SEGMENTERS: tuple[str, ...] = ("none", "underthesea")
# PhoBERT's tokenizer class: its vocabulary is word-segmented, so a base using it needs segmentation.
SEGMENTED_TOKENIZERS = frozenset({"PhobertTokenizer"})


class Preprocessing(BaseModel):
    """The pre-processing a model's texts go through before tokenization (the card's ``preprocessing``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    word_segmentation: WordSegmentation = "none"
    """``underthesea``: join the syllables of each word with ``_`` (PhoBERT); ``none``: raw text."""
    lowercase: bool = False
    """Lower-case after segmentation, for uncased vocabularies whose tokenizer does not do it itself."""

    @model_validator(mode="before")
    @classmethod
    def _known_steps(cls, value: Any) -> Any:
        # Say which steps exist: "extra inputs are not permitted" does not tell a card's author what to write.
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(cls.model_fields))
            if unknown:
                raise ValueError(
                    f"unknown pre-processing {', '.join(map(repr, unknown))}; "
                    f"known: {', '.join(sorted(cls.model_fields))}"
                )
        return value

    @field_validator("word_segmentation", mode="before")
    @classmethod
    def _known_segmenter(cls, value: Any) -> Any:
        if value not in WORD_SEGMENTERS:
            raise ValueError(f"unknown word segmentation {value!r}; known: {', '.join(WORD_SEGMENTERS)}")
        return value

    @property
    def is_identity(self) -> bool:
        """True when texts reach the tokenizer unchanged."""
        return self.word_segmentation == "none" and not self.lowercase


NO_PREPROCESSING = Preprocessing()
WORD_SEGMENTED = Preprocessing(word_segmentation="underthesea")


def preprocess(texts: Sequence[str], preprocessing: Preprocessing) -> list[str]:
    """``texts`` prepared as ``preprocessing`` says, in order (the only place pre-processing happens).

    Raises:
        ModelError: segmentation was asked for and underthesea is not installed.
    """
    if preprocessing.is_identity:
        return list(texts)
    prepared = list(texts)
    if preprocessing.word_segmentation == "underthesea":
        from models.segmentation import underthesea_module  # noqa: PLC0415  (loads the CRF model once)

        segment = underthesea_module().word_tokenize
        # format="text" joins a word's syllables with "_" and separates words (and punctuation) by spaces,
        # the form PhoBERT's vocabulary was built from. Blank texts stay blank rather than reach the CRF.
        prepared = [str(segment(text, format="text")) if text.strip() else text for text in prepared]
    if preprocessing.lowercase:
        prepared = [text.lower() for text in prepared]
    return prepared


def preprocessing_for_tokenizer(tokenizer_class: str | None) -> Preprocessing:
    """What a base model with this tokenizer class needs when nobody declared it: PhoBERT's is segmented."""
    return WORD_SEGMENTED if tokenizer_class in SEGMENTED_TOKENIZERS else NO_PREPROCESSING
