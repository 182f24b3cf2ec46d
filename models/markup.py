"""What social text carries besides words: links, @mentions, #hashtags and emoji.

Campaign tracking counts hashtags, reports count emoji reactions in text, and links show where a story
travels, so every document's analysis lists them. Plain regular expressions over Unicode ranges: no
dependency, and fast enough for every post.
"""

from __future__ import annotations

import re

from monitor.analysis import Markup

_URL = re.compile(r"\bhttps?://[^\s<>\"'“”]+|\bwww\.[^\s<>\"'“”]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}…"
# A mention or hashtag starts after a non-word character; Vietnamese letters are word characters.
_MENTION = re.compile(r"(?<![\w@])@([^\W_][\w.]{0,63})")
_HASHTAG = re.compile(r"(?<![\w#])#([^\W\d_][\w]{0,99}|\d+[^\W\d_][\w]{0,98})")
# Pictographs, symbols and flags, with skin tones, variation selectors and zero-width joins kept
# together so "👍🏽" and "👨‍👩‍👧" count as one emoji each.
_EMOJI = re.compile(
    "(?:[\U0001f1e6-\U0001f1ff]{2}"  # flags: a pair of regional indicators
    "|[\U0001f300-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]"
    "[\U0001f3fb-\U0001f3ff\ufe0f]*"
    "(?:\u200d[\U0001f300-\U0001faff\u2600-\u27bf][\U0001f3fb-\U0001f3ff\ufe0f]*)*)"
)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def extract_markup(text: str) -> Markup:
    """Links, mentions, hashtags (lower-cased, as platforms match them) and emoji, each once, in order."""
    urls = [match.rstrip(_TRAILING_PUNCTUATION) for match in _URL.findall(text)]
    without_urls = _URL.sub(" ", text)  # "#anchor" and "@" inside a link are not tags or mentions
    return Markup(
        urls=_unique(urls),
        mentions=_unique([m.rstrip(".") for m in _MENTION.findall(without_urls)]),
        hashtags=_unique([tag.lower() for tag in _HASHTAG.findall(without_urls)]),
        emoji=_unique(_EMOJI.findall(without_urls)),
    )
