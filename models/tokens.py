"""Word tokens for lexicon matching: lower-case, normalized, with teencode expanded.

Unlike :func:`monitor.text.tokens` (folded, for search), these keep diacritics, because on accented
text the marks separate words ("chán" bored, "chăn" blanket); folded matching is the fallback for
words written without them.
"""

from __future__ import annotations

import re
from functools import cache

from models.resources import load_resource
from monitor.text import normalize

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@cache
def teencode_map() -> dict[str, tuple[str, ...]]:
    raw: dict[str, str] = load_resource("teencode_vi.yaml")
    return {str(key).lower(): tuple(str(value).split()) for key, value in raw.items()}


def word_tokens(text: str, expand_teencode: bool = True) -> list[str]:
    """Lower-case normalized words of ``text``, with teencode such as ``ko``/``dc`` expanded."""
    words = _WORD.findall(normalize(text).lower())
    if not expand_teencode:
        return words
    mapping = teencode_map()
    expanded: list[str] = []
    for word in words:
        expanded.extend(mapping.get(word, (word,)))
    return expanded


def is_unaccented(word: str) -> bool:
    """True when ``word`` carries no Vietnamese marks (so it may be an accented word typed bare).

    Tokens are lower-case letters and digits, so "no marks" is "ASCII" (``fold`` would say the same,
    slower; words in other scripts are never bare Vietnamese either way).
    """
    return word.isascii()


def diacritics_ratio(words: list[str]) -> float:
    """Share of alphabetic words carrying marks: near 0 for text typed without diacritics."""
    # filter/map keep the loop in C: every scorer asks this of every text. Bare words are the ASCII ones
    # (see is_unaccented).
    alphabetic = list(filter(str.isalpha, words))
    if not alphabetic:
        return 0.0
    return (len(alphabetic) - sum(map(str.isascii, alphabetic))) / len(alphabetic)
