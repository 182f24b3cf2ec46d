"""The officers' search syntax: parse once, run on any backend or in Python.

Syntax:

* words and ``"quoted phrases"``, matched accent-insensitively (``dong nai`` finds ``Đồng Nai``); a word
  that folds into several tokens (``Biên-Hòa``) is a phrase;
* ``=word`` or ``="a phrase"``: match with the diacritics exactly as written (``=hồ`` finds ``hồ``, not ``hổ``);
* ``AND`` (also implied by juxtaposition), ``OR``, ``NOT`` or a leading ``-``, and parentheses;
* field filters ``source:``, ``platform:``, ``topic:``, ``sentiment:``, ``author:`` (``author:"Trần Thị B"``
  matches the author name accent- and case-insensitively);
* time ranges ``since:2026-10-20`` and ``until:2026-11-01T12:00+07:00`` on the publication time; a bare
  date means midnight in the caller's time zone.

``sentiment:`` and ``platform:`` accept only their known values, and a ``name:value`` word whose name is
not a field is refused (``foo:bar``) rather than silently matching nothing. Limits keep every accepted
query cheap and safe to compile on every store: at most :data:`MAX_QUERY_LENGTH` characters,
:data:`MAX_TERMS` words, phrases and filters, and :data:`MAX_DEPTH` levels of nested parentheses;
``NOT NOT x`` is ``x``, so a chain of negations costs nothing.

The parser produces a small immutable tree; :func:`matches` evaluates it against one document (watch
rules), and each store backend compiles it to its own query language. Errors point at the character where
the query went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from monitor.analysis import SentimentLabel
from monitor.errors import QueryError
from monitor.query_lexer import TIME_FIELDS, Lexeme, lex
from monitor.records import Platform
from monitor.text import exact_tokens
from monitor.text import tokens as fold_tokens

ENUM_FIELDS: dict[str, frozenset[str]] = {
    "sentiment": frozenset(label.value for label in SentimentLabel),
    "platform": frozenset(platform.value for platform in Platform),
}
"""Fields whose values are a closed set (the same enums the API's ``?sentiment=`` and ``?platform=`` use)."""

MAX_QUERY_LENGTH = 2000
"""Characters in one query."""
MAX_TERMS = 200
"""Words, phrases, field filters and time ranges in one query."""
MAX_DEPTH = 6
"""Levels of nested parentheses. Each level can add two levels of ``bool`` queries in Elasticsearch, whose
default limit is 20 (7.x) or 30 (8.x and later): tests/monitor/test_query_limits.py checks the worst case."""


@dataclass(frozen=True)
class Term:
    token: str
    position: int
    exact: bool = False


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[str, ...]
    position: int
    exact: bool = False


@dataclass(frozen=True)
class FieldTerm:
    """``field:value``; ``value`` is kept as written, except ``author`` which is folded."""

    field: str
    value: str
    position: int


@dataclass(frozen=True)
class TimeRange:
    """``since:`` (inclusive) or ``until:`` (exclusive) on ``published_at``."""

    since: datetime | None
    until: datetime | None
    position: int


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]
    position: int


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]
    position: int


@dataclass(frozen=True)
class Not:
    child: Node
    position: int


Node = Term | Phrase | FieldTerm | TimeRange | And | Or | Not


def _parse_time(value: str, default_tz: tzinfo, query: str, position: int) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(
            f"'{value}' is not a date or time (use 2026-10-20 or 2026-10-20T18:00+07:00)",
            query=query,
            position=position,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    try:
        # The epoch seconds are what the stores compare: a moment that has none (year 1 at +14:00 is
        # before 0001-01-01 UTC) is out of range, not a server error.
        parsed.timestamp()
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise QueryError(
            f"'{value}' is outside the dates a query can use (years 1 to 9999 in UTC)",
            query=query,
            position=position,
        ) from None


class _Parser:
    def __init__(self, query: str, default_tz: tzinfo, exact_accents: bool) -> None:
        self.query = query
        self.default_tz = default_tz
        self.exact_accents = exact_accents
        if len(query) > MAX_QUERY_LENGTH:
            raise QueryError(
                f"the query is longer than {MAX_QUERY_LENGTH} characters", query=query, position=MAX_QUERY_LENGTH
            )
        self.lexemes = lex(query)
        self.index = 0
        self.depth = 0  # parentheses open around the current position: bounds the recursion
        self.terms = 0

    def _peek(self) -> Lexeme | None:
        return self.lexemes[self.index] if self.index < len(self.lexemes) else None

    def _error(self, message: str, lexeme: Lexeme | None) -> QueryError:
        position = lexeme.position if lexeme else len(self.query)
        return QueryError(message, query=self.query, position=position)

    def parse(self) -> Node:
        if not self.lexemes:
            raise self._error("empty query", None)
        node = self._or()
        leftover = self._peek()
        if leftover is not None:
            raise self._error(f"unexpected '{leftover.text}'", leftover)
        return node

    def _or(self) -> Node:
        children: list[Node] = []
        while True:
            child = self._and()
            # (a OR b) OR c is a OR b OR c: one level fewer for the stores to nest.
            children.extend(child.children if isinstance(child, Or) else (child,))
            lexeme = self._peek()
            if lexeme is None or lexeme.kind != "OR":
                break
            self.index += 1
        return children[0] if len(children) == 1 else Or(tuple(children), children[0].position)

    def _and(self) -> Node:
        children: list[Node] = []
        while True:
            child = self._unary()
            children.extend(child.children if isinstance(child, And) else (child,))
            lexeme = self._peek()
            if lexeme is None or lexeme.kind in ("OR", ")"):
                break
            if lexeme.kind == "AND":
                self.index += 1
        return children[0] if len(children) == 1 else And(tuple(children), children[0].position)

    def _unary(self) -> Node:
        # A loop, not recursion: NOT NOT x is x, so a chain of any length is one Not or none.
        first = self._peek()
        negations = 0
        while (lexeme := self._peek()) is not None and lexeme.kind in ("NOT", "-"):
            self.index += 1
            negations += 1
        node = self._primary()
        if negations % 2 == 0 or first is None:
            return node
        if isinstance(node, Not):
            return node.child
        return Not(node, first.position)

    def _primary(self) -> Node:
        lexeme = self._peek()
        if lexeme is None:
            raise self._error("expected a word, a phrase or '(' but the query ended", None)
        self.index += 1
        if lexeme.kind == "(":
            if self.depth == MAX_DEPTH:
                raise self._error(f"more than {MAX_DEPTH} levels of nested parentheses", lexeme)
            self.depth += 1
            node = self._or()
            self.depth -= 1
            closing = self._peek()
            if closing is None or closing.kind != ")":
                raise self._error("missing ')' for the '(' here", lexeme)
            self.index += 1
            return node
        if lexeme.kind in ("field", "word", "phrase"):
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise self._error(f"more than {MAX_TERMS} words, phrases and filters", lexeme)
        if lexeme.kind == "field":
            return self._field(lexeme)
        if lexeme.kind in ("word", "phrase"):
            exact = lexeme.exact or self.exact_accents
            words = exact_tokens(lexeme.text) if exact else fold_tokens(lexeme.text)
            if not words:
                raise self._error(f"'{lexeme.text}' has no letters or digits to search for", lexeme)
            if len(words) == 1 and lexeme.kind == "word":
                return Term(words[0], lexeme.position, exact)
            return Phrase(tuple(words), lexeme.position, exact)
        raise self._error(f"expected a word, a phrase or '(' but found '{lexeme.text}'", lexeme)

    def _field(self, lexeme: Lexeme) -> Node:
        if lexeme.field in TIME_FIELDS:
            moment = _parse_time(lexeme.text, self.default_tz, self.query, lexeme.position)
            if lexeme.field == "since":
                return TimeRange(moment, None, lexeme.position)
            return TimeRange(None, moment, lexeme.position)
        value = fold_author(lexeme.text) if lexeme.field == "author" else lexeme.text.strip().lower()
        accepted = ENUM_FIELDS.get(lexeme.field)
        if accepted is not None and value not in accepted:
            raise self._error(
                f"field '{lexeme.field}' has no value '{lexeme.text}' (accepted: {', '.join(sorted(accepted))})",
                lexeme,
            )
        return FieldTerm(lexeme.field, value, lexeme.position)


def parse(query: str, default_tz: tzinfo = UTC, exact_accents: bool = False) -> Node:
    """Parse ``query`` into a tree, or raise :class:`QueryError` pointing at the fault.

    ``default_tz`` is the zone of dates written without an offset (``since:2026-10-20``);
    ``exact_accents`` makes every word match with its diacritics, as if written ``=word``.
    """
    return _Parser(query, default_tz, exact_accents).parse()


def all_of(nodes: Sequence[Node]) -> Node | None:
    """The nodes joined by AND, without nesting an And in an And (None for no nodes)."""
    children = [part for node in nodes for part in (node.children if isinstance(node, And) else (node,))]
    if len(children) <= 1:
        return children[0] if children else None
    return And(tuple(children), children[0].position)


@dataclass(frozen=True)
class Matchable:
    """What :func:`matches` needs of a document; build it once per document with :meth:`of`."""

    folded: tuple[str, ...]
    exact: tuple[str, ...]
    folded_set: frozenset[str]
    exact_set: frozenset[str]
    fields: dict[str, frozenset[str]]
    published_at: datetime

    @classmethod
    def of(
        cls,
        content: str | Sequence[str],
        *,
        source: str,
        platform: str,
        topics: Sequence[str],
        sentiment: str,
        author: str | None,
        published_at: datetime,
        story: str | None = None,
    ) -> Matchable:
        # Parts (a title and a text) give the same tokens as their joined lines, and reuse the tokens
        # the store computed for each part.
        parts = [content] if isinstance(content, str) else content
        folded = tuple(token for part in parts for token in fold_tokens(part))
        exact = tuple(token for part in parts for token in exact_tokens(part))
        fields = {
            "source": frozenset({source.lower()}),
            "platform": frozenset({platform.lower()}),
            "topic": frozenset(t.lower() for t in topics),
            "sentiment": frozenset({sentiment.lower()}),
            "author": frozenset({fold_author(author)} if author else ()),
            "story": frozenset({story.lower()} if story else ()),
        }
        return cls(folded, exact, frozenset(folded), frozenset(exact), fields, published_at)


def _contains_phrase(doc_tokens: Sequence[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    first = phrase[0]
    return any(
        doc_tokens[i] == first and tuple(doc_tokens[i : i + size]) == phrase for i in range(len(doc_tokens) - size + 1)
    )


def matches(node: Node, doc: Matchable) -> bool:  # noqa: PLR0911 - one branch per node type
    """Evaluate ``node`` against one document."""
    if isinstance(node, Term):
        return node.token in (doc.exact_set if node.exact else doc.folded_set)
    if isinstance(node, Phrase):
        present = doc.exact_set if node.exact else doc.folded_set
        sequence = doc.exact if node.exact else doc.folded
        return all(t in present for t in node.tokens) and _contains_phrase(sequence, node.tokens)
    if isinstance(node, FieldTerm):
        return node.value in doc.fields[node.field]
    if isinstance(node, TimeRange):
        after = node.since is None or doc.published_at >= node.since
        return after and (node.until is None or doc.published_at < node.until)
    if isinstance(node, And):
        return all(matches(child, doc) for child in node.children)
    if isinstance(node, Or):
        return any(matches(child, doc) for child in node.children)
    return not matches(node.child, doc)


def positive_terms(node: Node) -> list[str]:
    """Words and phrases the query looks for (not under NOT): used to explain a match."""
    if isinstance(node, Term):
        return [node.token]
    if isinstance(node, Phrase):
        return [" ".join(node.tokens)]
    if isinstance(node, And | Or):
        return [term for child in node.children for term in positive_terms(child)]
    return []


def fields_used(node: Node) -> set[str]:
    """Field filters a query uses anywhere (``author``, ``source``...), e.g. to apply role limits."""
    if isinstance(node, FieldTerm):
        return {node.field}
    if isinstance(node, And | Or):
        return set().union(*(fields_used(child) for child in node.children))
    if isinstance(node, Not):
        return fields_used(node.child)
    return set()


def fold_author(name: str) -> str:
    """The form author names are compared in (``author:`` filters, both backends)."""
    return " ".join(fold_tokens(name))
