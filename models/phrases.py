"""Finding lexicon phrases in token sequences, accent-exact first and accent-insensitive as fallback."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from models.tokens import diacritics_ratio, is_unaccented
from monitor.text import fold

V = TypeVar("V")

# Below this share of accented words, a text counts as typed without diacritics.
UNACCENTED_TEXT_RATIO = 0.2


@dataclass(frozen=True)
class PhraseMatch(Generic[V]):
    start: int
    end: int
    phrase: str
    value: V


class PhraseMatcher(Generic[V]):
    """Greedy longest-match of multi-word phrases over a token list.

    A span matches exactly (with its marks). In text typed without diacritics (see
    :func:`models.tokens.diacritics_ratio`) a span of bare words also matches the folded form of a
    phrase, so "ngap" finds "ngập". In accented text bare words are real words ("ban" is not "bẩn"),
    so the fallback is off, and "chăn" never finds "chán".
    """

    def __init__(self, phrases: Mapping[str, V]) -> None:
        self._exact: dict[tuple[str, ...], tuple[str, V]] = {}
        self._folded: dict[tuple[str, ...], tuple[str, V]] = {}
        for phrase, value in phrases.items():
            words = tuple(str(phrase).lower().split())
            if not words:
                continue
            self._exact[words] = (str(phrase), value)
            self._folded.setdefault(tuple(fold(w) for w in words), (str(phrase), value))
        self.max_words = max((len(words) for words in self._exact), default=0)

    def find(self, tokens: list[str]) -> Iterator[PhraseMatch[V]]:
        allow_folded = diacritics_ratio(tokens) < UNACCENTED_TEXT_RATIO
        i = 0
        while i < len(tokens):
            match = self._match_at(tokens, i, allow_folded)
            if match is None:
                i += 1
                continue
            yield match
            i = match.end

    def _match_at(self, tokens: list[str], i: int, allow_folded: bool) -> PhraseMatch[V] | None:
        for size in range(min(self.max_words, len(tokens) - i), 0, -1):
            span = tuple(tokens[i : i + size])
            found = self._exact.get(span)
            if found is None and allow_folded and all(is_unaccented(word) for word in span):
                found = self._folded.get(span)
            if found is not None:
                return PhraseMatch(i, i + size, found[0], found[1])
        return None

    def contains_any(self, tokens: list[str]) -> bool:
        return next(iter(self.find(tokens)), None) is not None
