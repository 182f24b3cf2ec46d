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


def _lengths_by_first_word(phrases: Mapping[tuple[str, ...], object]) -> dict[str, tuple[int, ...]]:
    lengths: dict[str, set[int]] = {}
    for words in phrases:
        lengths.setdefault(words[0], set()).add(len(words))
    return {word: tuple(sorted(sizes, reverse=True)) for word, sizes in lengths.items()}


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
        # Phrase lengths by first word, longest first: most words start no phrase, and are skipped at once.
        self._exact_starts = _lengths_by_first_word(self._exact)
        self._folded_starts = _lengths_by_first_word(self._folded)

    def find(self, tokens: list[str], allow_folded: bool | None = None) -> Iterator[PhraseMatch[V]]:
        """Matches in ``tokens``; ``allow_folded`` may be given when the caller already measured the text."""
        if allow_folded is None:
            allow_folded = diacritics_ratio(tokens) < UNACCENTED_TEXT_RATIO
        exact_starts, folded_starts = self._exact_starts, self._folded_starts if allow_folded else {}
        i = 0
        while i < len(tokens):
            first = tokens[i]
            if first not in exact_starts and first not in folded_starts:  # the common case: no phrase here
                i += 1
                continue
            match = self._match_at(tokens, i, bool(folded_starts))
            if match is None:
                i += 1
                continue
            yield match
            i = match.end

    def _match_at(self, tokens: list[str], i: int, allow_folded: bool) -> PhraseMatch[V] | None:
        first = tokens[i]
        exact_sizes = self._exact_starts.get(first, ())
        folded_sizes = self._folded_starts.get(first, ()) if allow_folded and is_unaccented(first) else ()
        sizes = sorted({*exact_sizes, *folded_sizes}, reverse=True) if folded_sizes else exact_sizes
        for size in sizes:
            if i + size > len(tokens):
                continue
            span = tuple(tokens[i : i + size])
            found = self._exact.get(span)
            if found is None and folded_sizes and all(is_unaccented(word) for word in span):
                found = self._folded.get(span)
            if found is not None:
                return PhraseMatch(i, i + size, found[0], found[1])
        return None

    def contains_any(self, tokens: list[str]) -> bool:
        return next(iter(self.find(tokens)), None) is not None
