"""Vietnamese text normalization shared by the store, the rules and the scorers.

Three operations, all pure functions:

* :func:`normalize` — Unicode NFC plus one canonical tone-mark placement, so ``hoà`` and ``hòa`` (old
  and new placement) become the same string. We keep the mark on the first vowel of an open ``oa``,
  ``oe`` or ``uy`` syllable (``hòa``, ``khỏe``, ``thủy``), the form most Vietnamese news sites use.
* :func:`fold` — accent-insensitive form for matching and indexing: no tone or vowel marks, ``đ`` → ``d``,
  lower case. ``Đồng Nai`` and ``dong nai`` fold to the same string.
* :func:`tokens` — word tokens of folded text, the unit both store backends and the rule matcher use.

This lives in ``monitor`` (not ``models``) because the store and the rules need it and ``monitor`` must
not import the NLP package.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Combining marks for the five Vietnamese tones (grave, acute, tilde, hook above, dot below).
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
# Open syllables whose tone placement differs between the old and new orthography. "qu" + "y" is
# excluded: in "quý" the "u" belongs to the consonant and the mark is on "y" in both orthographies.
_MOVABLE_ENDINGS = ("oa", "oe", "uy")
# Only a word ending in a bare o/u followed by a toned a/e/y can need its mark moved; finding those
# with one regex keeps normalize() from decomposing every other word.
_TONED_AEY = "àáảãạèéẻẽẹỳýỷỹỵÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴ"
_MOVABLE_END = re.compile(rf"[oOuU][{_TONED_AEY}](?![^\W_])")
# Precomposed Latin letters with diacritics (including all Vietnamese ones) → base letter, for fold().
_FOLD_TABLE = {
    code: base
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]
    if len(base := "".join(c for c in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(c))) == 1
    and base != chr(code)
}
_FOLD_TABLE.update({ord("đ"): "d", ord("Đ"): "D"})
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@lru_cache(maxsize=65_536)  # the same few thousand syllables recur in every text
def _canonical_tone_placement(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tone_positions = [i for i, ch in enumerate(decomposed) if ch in _TONE_MARKS]
    if len(tone_positions) != 1:
        return word
    tone_index = tone_positions[0]
    tone = decomposed[tone_index]
    bare = decomposed[:tone_index] + decomposed[tone_index + 1 :]
    base_letters = [ch for ch in bare if not unicodedata.combining(ch)]
    lower_base = "".join(base_letters).lower()
    if not lower_base.endswith(_MOVABLE_ENDINGS):
        return word
    if lower_base.endswith("uy") and lower_base[:-2].endswith("q"):
        return word
    # Only move a mark sitting on the last vowel, and only when the vowel before it is a bare o/u
    # (a vowel carrying its own diacritic such as "ơ" never takes part in this alternation).
    last_letter_index = max(i for i, ch in enumerate(bare) if not unicodedata.combining(ch))
    if tone_index != last_letter_index + 1:
        return word
    previous_letter_index = max(i for i, ch in enumerate(bare[:last_letter_index]) if not unicodedata.combining(ch))
    if previous_letter_index != last_letter_index - 1:
        return word
    moved = bare[: previous_letter_index + 1] + tone + bare[previous_letter_index + 1 :]
    return unicodedata.normalize("NFC", moved)


def _place_tones(text: str) -> str:
    """Apply :func:`_canonical_tone_placement` to the words that end like "oà", "oẻ", "uỷ"."""
    parts: list[str] = []
    done = 0
    for match in _MOVABLE_END.finditer(text):
        start = match.start()
        while start > done and (text[start - 1].isalnum() and text[start - 1] != "_"):
            start -= 1
        parts.append(text[done:start])
        parts.append(_canonical_tone_placement(text[start : match.end()]))
        done = match.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


# Every scorer normalizes the text it reads (it cannot know who called it); a document's text passes
# through four to six of them in a row, so recent results are kept.
@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Return ``text`` in NFC with canonical Vietnamese tone-mark placement and tidy spacing.

    Line breaks are kept (paragraphs matter for reading); runs of spaces collapse to one.
    """
    nfc = unicodedata.normalize("NFC", text)
    nfc = nfc.replace("\r\n", "\n").replace("\r", "\n")
    placed = _place_tones(nfc)
    lines = (_SPACES.sub(" ", line).strip() for line in placed.split("\n"))
    return "\n".join(lines).strip()


def fold(text: str) -> str:
    """Return the accent-insensitive, lower-case form of ``text`` (``Đồng Nai`` → ``dong nai``)."""
    folded = unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)
    if _COMBINING.search(folded):  # marks NFC could not compose onto a letter: strip them the slow way
        decomposed = unicodedata.normalize("NFD", folded)
        folded = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
    return folded.lower()


@dataclass(frozen=True)
class TextTokens:
    """A text's folded and exact-accent word tokens: what the store indexes and the rules match."""

    folded: tuple[str, ...]
    exact: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> TextTokens:
        return cls(tuple(_WORD.findall(fold(text))), tuple(_WORD.findall(normalize(text).lower())))


class _TokenCache:
    """Recent texts' tokens. The store indexes a document's words and the rules match them right after;
    worker processes that scored a document pre-fill its tokens here (:func:`prime_tokens`), so the
    service process does not tokenize it at all."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, TextTokens] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> TextTokens:
        with self._lock:
            found = self._entries.get(text)
            if found is not None:
                self._entries.move_to_end(text)
                return found
        computed = TextTokens.of(text)
        self.put(text, computed)
        return computed

    def put(self, text: str, value: TextTokens) -> None:
        with self._lock:
            self._entries[text] = value
            self._entries.move_to_end(text)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_TOKENS = _TokenCache(2048)


def text_tokens(text: str) -> TextTokens:
    """The tokens of ``text`` (cached)."""
    return _TOKENS.get(text)


def prime_tokens(pairs: Iterable[tuple[str, TextTokens]]) -> None:
    """Remember tokens computed elsewhere (in a worker process) for texts about to be stored."""
    for text, value in pairs:
        _TOKENS.put(text, value)


def _folded_tokens(text: str) -> tuple[str, ...]:
    return _TOKENS.get(text).folded


def _exact_tokens(text: str) -> tuple[str, ...]:
    return _TOKENS.get(text).exact


def tokens(text: str) -> list[str]:
    """Return the word tokens of ``fold(text)``; the matching unit of every backend."""
    return list(_folded_tokens(text))


def uncached_tokens(text: str) -> list[str]:
    """:func:`tokens` without the cache and without the exact-accent tokens it also computes: for texts
    read once, such as the lines of a text being fingerprinted. Caching those only evicted the documents'
    whole texts, which the store and the rules read again."""
    return _WORD.findall(fold(text))


def exact_tokens(text: str) -> list[str]:
    """Word tokens of ``normalize(text)`` in lower case, diacritics kept: for exact-accent matching."""
    return list(_exact_tokens(text))


def exact_words(text: str) -> str:
    """Exact tokens joined by single spaces: the exact-accent copy the store indexes."""
    return " ".join(_exact_tokens(text))


def folded_words(text: str) -> str:
    """Return folded tokens joined by single spaces: what the store indexes for full-text search."""
    return " ".join(_folded_tokens(text))
