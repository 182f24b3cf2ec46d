"""Whether one document counts for a watch rule, and why: the query's phrases in their context.

The query decides whether a document is a candidate (:func:`monitor.query.matches`); this module then
finds where the query's words and phrases occur (its *hits*) and applies the rule's context conditions:

* a hit right after a negation cue ("không ngập", "chưa bị ngập", "ko ... " in teencode) or after a word
  of the rule's ``not_after`` ("chống ngập" is flood prevention, not a flood) does not count, unless the
  rule sets ``count_negated``; one cue word, optionally followed by one light word ("bị", "còn", "có"...);
* ``topics``: the document must carry one of them;
* ``requires_any``: one of these phrases must occur (not negated), at most ``near`` words away from a hit
  if set (words in between);
* ``excludes``: any of these phrases anywhere vetoes the document.

Everything is matched on folded tokens (:mod:`monitor.text`), so accents never matter, and the
negation cues include their usual unaccented and teencode spellings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor import query as query_syntax
from monitor.rules.base import Prepared
from monitor.rules.specs import WatchRuleSpec
from monitor.rules.watch_details import WatchMatchDetails
from monitor.text import tokens as fold_tokens

NEGATION_CUES = frozenset({"khong", "ko", "k", "kg", "khg", "kh", "hok", "hem", "chua", "chang", "cha", "deo"})
"""Folded negation words: không, chưa, chẳng, chả and their teencode spellings (ko, k, kg, khg, hok...)."""
LIGHT_WORDS = frozenset({"bi", "con", "co", "he", "duoc", "dc", "phai", "thay", "gap"})
"""Words that may stand between a cue and a hit: "không bị ngập", "chưa có nước", "không còn ngập"."""
CONTEXT_WORDS = 8
"""Words shown each side of a hit in an alert's explanation."""


def _positive_phrases(node: query_syntax.Node) -> list[tuple[str, ...]]:
    """The query's words and phrases outside NOT, as folded token tuples."""
    if isinstance(node, query_syntax.Term):
        return [tuple(fold_tokens(node.token))]
    if isinstance(node, query_syntax.Phrase):
        return [tuple(token for word in node.tokens for token in fold_tokens(word))]
    if isinstance(node, query_syntax.And | query_syntax.Or):
        return [phrase for child in node.children for phrase in _positive_phrases(child)]
    return []


def _occurrences(words: Sequence[str], phrase: tuple[str, ...]) -> list[int]:
    size = len(phrase)
    if not size:
        return []
    first = phrase[0]
    return [i for i in range(len(words) - size + 1) if words[i] == first and tuple(words[i : i + size]) == phrase]


def _folded(phrases: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(fold_tokens(phrase)) for phrase in phrases]


@dataclass(frozen=True)
class Hit:
    """One occurrence of a phrase: its folded words and the index of its first word."""

    phrase: str
    word: int


@dataclass(frozen=True)
class WatchMatch:
    """Why a document counts: the first hit that counts and the conditions that held."""

    hit: Hit
    where: str  # "title" or "text"
    context: str
    conditions: dict[str, Any]

    def explain(self, doc_id: str) -> WatchMatchDetails:
        """The match as an alert's details list it."""
        return WatchMatchDetails(
            doc_id=doc_id,
            phrase=self.hit.phrase,
            found_in=self.where,
            word=self.hit.word,
            context=self.context,
            conditions=self.conditions,
        )


class WatchMatcher:
    """A watch rule's query and context conditions, compiled once."""

    def __init__(self, rule: WatchRuleSpec) -> None:
        self.rule = rule
        self.node = query_syntax.parse(rule.query)
        self.phrases = [phrase for phrase in dict.fromkeys(_positive_phrases(self.node)) if phrase]
        self.requires = _folded(rule.requires_any)
        self.excludes = _folded(rule.excludes)
        self.cancel_words = NEGATION_CUES | {token for phrase in _folded(rule.not_after) for token in phrase}

    def _cancelled(self, words: Sequence[str], at: int, cues: frozenset[str]) -> bool:
        """Whether a cue stands right before ``at``, or two words before with a light word between."""
        before = words[max(0, at - 2) : at]
        if before and before[-1] in cues:
            return True
        return len(before) == 2 and before[0] in cues and before[1] in LIGHT_WORDS

    def _hits(self, words: Sequence[str], phrases: Sequence[tuple[str, ...]], cues: frozenset[str]) -> list[Hit]:
        return sorted(
            (
                Hit(" ".join(phrase), at)
                for phrase in phrases
                for at in _occurrences(words, phrase)
                if not cues or not self._cancelled(words, at, cues)
            ),
            key=lambda hit: hit.word,
        )

    def match(self, p: Prepared) -> WatchMatch | None:
        """The reason ``p`` counts for the rule, or None when it does not."""
        rule = self.rule
        if not self._candidate(p):
            return None
        carried = set(p.item.analysis.topics.labels)
        words = p.matchable.folded
        cues = frozenset() if rule.count_negated else self.cancel_words
        hits = self._hits(words, self.phrases, cues)
        if not hits and self.phrases:  # every hit negated ("không ngập") or cancelled ("chống ngập")
            return None
        conditions: dict[str, Any] = {}
        if rule.topics:
            conditions["topics"] = sorted(carried & set(rule.topics))
        if self.requires:
            found = self._requirement(words, hits, cues)
            if found is None:
                return None
            hits, required = found
            conditions["requires_any"] = {"phrase": required.phrase, "word": required.word}
            if rule.near is not None:
                conditions["near"] = rule.near
        if rule.excludes:
            conditions["excludes_absent"] = list(rule.excludes)
        if not hits:  # a query of field filters only (topic:health): nothing to point at
            return WatchMatch(Hit("", 0), "text", "", conditions)
        hit = hits[0]
        title_words = len(fold_tokens(p.item.document.title)) if p.item.document.title else 0
        context = " ".join(words[max(0, hit.word - CONTEXT_WORDS) : hit.word + CONTEXT_WORDS + 1])
        return WatchMatch(hit, "title" if hit.word < title_words else "text", context, conditions)

    def _candidate(self, p: Prepared) -> bool:
        """The query matches, a topic is carried if asked for, and no excluded phrase occurs."""
        if not query_syntax.matches(self.node, p.matchable):
            return False
        if self.rule.topics and not set(p.item.analysis.topics.labels) & set(self.rule.topics):
            return False
        return not any(_occurrences(p.matchable.folded, phrase) for phrase in self.excludes)

    def _requirement(self, words: Sequence[str], hits: list[Hit], cues: frozenset[str]) -> tuple[list[Hit], Hit] | None:
        """The hits next to a required phrase (all hits without ``near``) and the first such phrase.

        A required word inside a hit does not count: "bay" in "sân bay" is not a flight.
        """
        spans = [range(hit.word, hit.word + len(hit.phrase.split())) for hit in hits]
        required = [
            req
            for req in self._hits(words, self.requires, cues)
            if not any(
                req.word in span or span.start in range(req.word, req.word + len(req.phrase.split())) for span in spans
            )
        ]
        if not required:
            return None
        near = self.rule.near
        if near is None or not self.phrases:
            return hits, required[0]
        for hit in hits:
            for req in required:
                if _gap(hit, req) <= near:
                    return [hit], req
        return None


def _gap(a: Hit, b: Hit) -> int:
    """Words between two hits that do not overlap ("sân bay long thành hoàn tất bay": 2)."""
    first, second = (a, b) if a.word <= b.word else (b, a)
    return second.word - (first.word + len(first.phrase.split()))
