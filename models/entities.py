"""Entity recognition: the gazetteer (always) plus underthesea's CRF NER (bounded, for PER/LOC/ORG).

underthesea offers two NER models. ``ner(deep=True)`` is a transformer that is downloaded on first use,
so it is never used here. The default ``ner()`` is a CRF chain (word segmentation → POS → chunking →
NER) whose model files ship inside the pip package: fully offline. Its cost is the pure-Python feature
extraction (~18k characters per CPU-second); :class:`CrfNer` runs the same three bundled CRF models with
underthesea_core's Rust featurizer instead (~65k characters per CPU-second, tags identical to ``ner()``,
which a test checks), and falls back to ``ner()`` itself if a future underthesea moves its internals.

Even so, NER over a whole 3,000-character article costs ~45 ms of CPU, against ~20 ms for the whole
analysis of an article (100 articles/s on 2 cores), and ~2 ms for a 150-character post against 1 ms.
So :class:`NerSettings` bounds it: NER reads only the first ``max_chars`` characters (300: the title
and the lead sentence, where the names that matter are; ~4 ms), skips texts shorter than
``min_text_chars`` (social posts, informal text on which the 2017 news-trained model does poorly
anyway) and skips text typed without diacritics (the model cannot read it). The gazetteer always reads
the whole text (~0.8 ms per article, ~0.07 ms per post); where both find something, the gazetteer's
mention wins.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.gazetteer import Gazetteer, fold_with_offsets, load_gazetteer
from models.segmentation import underthesea_module
from models.tokens import diacritics_ratio
from monitor.analysis import EntityMention, ModelRef

NER_KINDS = frozenset({"PER", "LOC", "ORG"})
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_ISTITLE_TEMPLATE = re.compile(r"T\[(-?\d+)\]\.istitle$")


class NerSettings(BaseModel):
    """How much of each text the (slow) statistical NER reads; the gazetteer always reads everything.

    The defaults come from ``python -m tests.bench.entities_bench``: see the module docstring.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    max_chars: int = Field(default=300, ge=0)  # title + first sentence or two of an article
    min_text_chars: int = Field(default=400, ge=0)  # shorter texts (social posts) get no NER
    min_diacritics_ratio: float = Field(default=0.2, ge=0.0, le=1.0)  # below: typed without marks


Tagger = Callable[[str], list[tuple[str, str]]]


class CrfNer:
    """underthesea's bundled CRF NER; ``tag(sentence)`` gives ``(word, BIO tag)`` pairs.

    underthesea is imported on first use (without its torch-based extras: see
    :mod:`models.segmentation`), a cost a process that never runs NER should not pay.
    """

    def __init__(self) -> None:
        self._tagger: Tagger | None = None
        self._loading = threading.Lock()

    def tag(self, sentence: str) -> list[tuple[str, str]]:
        if self._tagger is None:
            with self._loading:  # the pipeline may score from several threads at once
                if self._tagger is None:
                    self._tagger = _load_tagger()
        return self._tagger(sentence)


def _load_tagger() -> Tagger:
    underthesea = underthesea_module()
    try:
        return _fast_tagger()
    except (ImportError, AttributeError, OSError):
        # underthesea reorganised its internals: keep working, at the slower public API's speed.
        def slow(sentence: str) -> list[tuple[str, str]]:
            return [(row[0], row[3]) for row in underthesea.ner(sentence)]

        return slow


class _Stage:
    """One of underthesea's CRF predictors, fed by the Rust featurizer with its own templates."""

    def __init__(self, predictor: Any) -> None:
        from underthesea_core import CRFFeaturizer  # noqa: PLC0415

        self._model = predictor.model
        template: list[str] = list(predictor.transformer.template)
        self._featurizer = CRFFeaturizer(template, set())
        # The Rust featurizer's "istitle" says True for punctuation and digits where underthesea's
        # Python one (which trained these models) says False; those features are recomputed here.
        self._istitle = [(k, int(m.group(1)), t) for k, t in enumerate(template) if (m := _ISTITLE_TEMPLATE.match(t))]

    def tag(self, rows: list[list[str]]) -> list[str]:
        features: list[list[str]] = self._featurizer.process([rows])[0]
        titles = [_istitle(row[0]) for row in rows]
        for i, token_features in enumerate(features):
            for index, offset, template in self._istitle:
                if 0 <= i + offset < len(rows):
                    token_features[index] = f"{template}={titles[i + offset]}"
        tags: list[str] = self._model.tag(features)
        return tags


def _istitle(word: str) -> bool:
    # underthesea's text_istitle: every space-separated part starts with a title-case character.
    parts = word.split(" ")
    return bool(word) and all(part and part[0].istitle() for part in parts)


def _fast_tagger() -> Tagger:
    from underthesea import word_tokenize  # noqa: PLC0415
    from underthesea.pipeline.chunking.model_crf import CRFChunkingPredictor  # noqa: PLC0415
    from underthesea.pipeline.ner.model_crf import CRFNERPredictor  # noqa: PLC0415
    from underthesea.pipeline.pos_tag.model_crf import CRFPOSTagPredictor  # noqa: PLC0415

    pos = _Stage(CRFPOSTagPredictor.Instance())
    chunk = _Stage(CRFChunkingPredictor.Instance())
    ner = _Stage(CRFNERPredictor.Instance())

    def tag(sentence: str) -> list[tuple[str, str]]:
        words: list[str] = word_tokenize(sentence)
        if not words:
            return []
        pos_tags = pos.tag([[w, "X"] for w in words])
        chunk_tags = chunk.tag([[w, p, "X"] for w, p in zip(words, pos_tags, strict=True)])
        ner_tags = ner.tag([[w, p, c, "X"] for w, p, c in zip(words, pos_tags, chunk_tags, strict=True)])
        return list(zip(words, ner_tags, strict=True))

    return tag


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str


class EntityRecognizer:
    """Gazetteer mentions over the whole text plus NER mentions over its bounded lead."""

    model = ModelRef(name="gazetteer+underthesea-crf-ner", version="1")

    def __init__(self, gazetteer: Gazetteer, ner: NerSettings | None = None, tagger: CrfNer | None = None) -> None:
        self.gazetteer = gazetteer
        self.settings = ner or NerSettings()
        self._ner = tagger or CrfNer()

    @classmethod
    def from_config_dir(cls, config_dir: Path, ner: NerSettings | None = None) -> EntityRecognizer:
        return cls(load_gazetteer(config_dir), ner)

    def find(self, text: str, *, ner: bool | None = None) -> tuple[EntityMention, ...]:
        """Mentions in ``text`` sorted by start; ``ner`` overrides :attr:`NerSettings.enabled`."""
        found = self.gazetteer.find(text)
        if not (self.settings.enabled if ner is None else ner) or not self._wants_ner(text):
            return found
        taken = [(m.start, m.end) for m in found]
        extra = [m for m in self.ner_mentions(text) if not any(m.start < e and s < m.end for s, e in taken)]
        return tuple(sorted((*found, *extra), key=lambda m: (m.start, m.end)))

    def find_batch(self, texts: Sequence[str], *, ner: bool | None = None) -> list[tuple[EntityMention, ...]]:
        """:meth:`find` for each text (``ner=False``: gazetteer only, e.g. for a batch of posts)."""
        return [self.find(text, ner=ner) for text in texts]

    def ner_mentions(self, text: str) -> list[EntityMention]:
        """PER/LOC/ORG mentions the NER finds in the first ``max_chars`` characters of ``text``."""
        mentions = []
        for start, sentence in _sentences(_lead(text, self.settings.max_chars)):
            # The models were trained on NFC; alignment maps their words back to the text as written.
            for span in _entities(sentence, self._ner.tag(unicodedata.normalize("NFC", sentence))):
                mentions.append(
                    EntityMention(
                        text=text[start + span.start : start + span.end],
                        kind=span.kind,
                        start=start + span.start,
                        end=start + span.end,
                    )
                )
        return mentions

    def _wants_ner(self, text: str) -> bool:
        if len(text) < self.settings.min_text_chars or self.settings.max_chars == 0:
            return False
        lead = unicodedata.normalize("NFC", text[: self.settings.max_chars])
        return diacritics_ratio(_WORD.findall(lead.lower())) >= self.settings.min_diacritics_ratio


def _lead(text: str, max_chars: int) -> str:
    """At most ``max_chars`` leading characters, cut after a sentence if one ends in the second half."""
    if len(text) <= max_chars:
        return text
    window = text[:max_chars]
    ends = [m.start() for m in _SENTENCE_END.finditer(window) if m.start() >= max_chars // 2]
    if ends:
        return window[: ends[-1]]
    space = window.rfind(" ")
    return window[:space] if space > 0 else window


def _sentences(text: str) -> list[tuple[int, str]]:
    """``(offset, sentence)`` pairs; the CRF models were trained on single sentences."""
    result = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if text[start : match.start()].strip():
            result.append((start, text[start : match.start()]))
        start = match.end()
    if text[start:].strip():
        result.append((start, text[start:]))
    return result


def _align(sentence: str, words: list[str]) -> list[tuple[int, int] | None]:
    """Offsets of each tagged word in ``sentence`` (None where it cannot be found).

    underthesea normalizes as it segments (tone placement, Unicode form), so words are located by
    their folded form, through the folded text's map back to the original characters.
    """
    view = fold_with_offsets(sentence)
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for word in words:
        first = last = -1
        for piece in word.split():
            folded = fold_with_offsets(piece).folded
            position = view.folded.find(folded, cursor)
            if not folded or position < 0:
                first = -1
                break
            if first < 0:
                first = position
            cursor = last = position + len(folded)
        spans.append(view.original_span(first, last) if first >= 0 else None)
    return spans


def _entities(sentence: str, tagged: list[tuple[str, str]]) -> list[_Span]:
    """Decode BIO tags into spans; trim punctuation at the edges; keep names starting with a capital.

    The 2017 CRF model often tags a lead-in such as "tiến độ dự án sân bay Long Thành" as one location;
    a name in Vietnamese starts with a capital letter, so a span that does not is dropped.
    """
    spans = _align(sentence, [word for word, _ in tagged])
    groups: list[tuple[str, list[int]]] = []
    for index, (_, tag) in enumerate(tagged):
        prefix, _, kind = tag.partition("-")
        if kind not in NER_KINDS:
            continue
        if prefix == "I" and groups and groups[-1][0] == kind and groups[-1][1][-1] == index - 1:
            groups[-1][1].append(index)
        else:
            groups.append((kind, [index]))
    found = []
    for kind, indexes in groups:
        words = [i for i in indexes if _WORD.search(tagged[i][0])]
        located = [span for i in words if (span := spans[i]) is not None]
        if not words or len(located) != len(words):
            continue
        start, end = located[0][0], located[-1][1]
        if sentence[start].isupper():
            found.append(_Span(start, end, kind))
    return found
