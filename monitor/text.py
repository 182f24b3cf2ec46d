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
import unicodedata

# Combining marks for the five Vietnamese tones (grave, acute, tilde, hook above, dot below).
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
# Open syllables whose tone placement differs between the old and new orthography. "qu" + "y" is
# excluded: in "quý" the "u" belongs to the consonant and the mark is on "y" in both orthographies.
_MOVABLE_ENDINGS = ("oa", "oe", "uy")


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


def normalize(text: str) -> str:
    """Return ``text`` in NFC with canonical Vietnamese tone-mark placement and tidy spacing.

    Line breaks are kept (paragraphs matter for reading); runs of spaces collapse to one.
    """
    nfc = unicodedata.normalize("NFC", text)
    nfc = nfc.replace("\r\n", "\n").replace("\r", "\n")
    placed = _WORD.sub(lambda match: _canonical_tone_placement(match.group(0)), nfc)
    lines = (_SPACES.sub(" ", line).strip() for line in placed.split("\n"))
    return "\n".join(lines).strip()


def fold(text: str) -> str:
    """Return the accent-insensitive, lower-case form of ``text`` (``Đồng Nai`` → ``dong nai``)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).lower()


def tokens(text: str) -> list[str]:
    """Return the word tokens of ``fold(text)``; the matching unit of every backend."""
    return _WORD.findall(fold(text))


def exact_tokens(text: str) -> list[str]:
    """Word tokens of ``normalize(text)`` in lower case, diacritics kept: for exact-accent matching."""
    return _WORD.findall(normalize(text).lower())


def exact_words(text: str) -> str:
    """Exact tokens joined by single spaces: the exact-accent copy the store indexes."""
    return " ".join(exact_tokens(text))


def folded_words(text: str) -> str:
    """Return folded tokens joined by single spaces: what the store indexes for full-text search."""
    return " ".join(tokens(text))
