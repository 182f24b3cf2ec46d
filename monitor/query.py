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

The parser produces a small immutable tree; :func:`matches` evaluates it against one document (watch
rules), and each store backend compiles it to its own query language. Errors point at the character where
the query went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from monitor.errors import QueryError
from monitor.text import exact_tokens
from monitor.text import tokens as fold_tokens

KEYWORDS = frozenset({"AND", "OR", "NOT"})
FIELDS = frozenset({"source", "platform", "topic", "sentiment", "author", "story"})
TIME_FIELDS = frozenset({"since", "until"})


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


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # "word", "phrase", "field", "(", ")", "AND", "OR", "NOT", "-"
    text: str
    position: int
    exact: bool = False
    field: str = ""


def _read_quoted(query: str, start: int) -> tuple[str, int]:
    end = query.find('"', start + 1)
    if end == -1:
        raise QueryError("unterminated quoted phrase", query=query, position=start)
    return query[start + 1 : end], end + 1


def _read_bare(query: str, start: int) -> tuple[str, int]:
    i = start
    while i < len(query) and not query[i].isspace() and query[i] not in '()"':
        i += 1
    return query[start:i], i


def _lex(query: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            lexemes.append(_Lexeme(ch, ch, i))
            i += 1
            continue
        if ch == "-" and i + 1 < len(query) and not query[i + 1].isspace():
            lexemes.append(_Lexeme("-", "-", i))
            i += 1
            continue
        start = i
        exact = ch == "=" and i + 1 < len(query) and not query[i + 1].isspace()
        if exact:
            i += 1
        if query[i] == '"':
            text, i = _read_quoted(query, i)
            lexemes.append(_Lexeme("phrase", text, start, exact))
            continue
        word, i = _read_bare(query, i)
        name, colon, rest = word.partition(":")
        if colon and not exact and name.lower() in FIELDS | TIME_FIELDS:
            if not rest and i < len(query) and query[i] == '"':
                rest, i = _read_quoted(query, i)
            if not rest:
                raise QueryError(f"'{name}:' needs a value", query=query, position=start)
            lexemes.append(_Lexeme("field", rest, start, field=name.lower()))
            continue
        kind = word if word in KEYWORDS and not exact else "word"
        lexemes.append(_Lexeme(kind, word, start, exact))
    return lexemes


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
    return parsed.astimezone(UTC)


class _Parser:
    def __init__(self, query: str, default_tz: tzinfo, exact_accents: bool) -> None:
        self.query = query
        self.default_tz = default_tz
        self.exact_accents = exact_accents
        self.lexemes = _lex(query)
        self.index = 0

    def _peek(self) -> _Lexeme | None:
        return self.lexemes[self.index] if self.index < len(self.lexemes) else None

    def _error(self, message: str, lexeme: _Lexeme | None) -> QueryError:
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
        first = self._and()
        children = [first]
        while (lexeme := self._peek()) is not None and lexeme.kind == "OR":
            self.index += 1
            children.append(self._and())
        return children[0] if len(children) == 1 else Or(tuple(children), first.position)

    def _and(self) -> Node:
        first = self._unary()
        children = [first]
        while (lexeme := self._peek()) is not None and lexeme.kind not in ("OR", ")"):
            if lexeme.kind == "AND":
                self.index += 1
            children.append(self._unary())
        return children[0] if len(children) == 1 else And(tuple(children), first.position)

    def _unary(self) -> Node:
        lexeme = self._peek()
        if lexeme is not None and lexeme.kind in ("NOT", "-"):
            self.index += 1
            return Not(self._unary(), lexeme.position)
        return self._primary()

    def _primary(self) -> Node:
        lexeme = self._peek()
        if lexeme is None:
            raise self._error("expected a word, a phrase or '(' but the query ended", None)
        self.index += 1
        if lexeme.kind == "(":
            node = self._or()
            closing = self._peek()
            if closing is None or closing.kind != ")":
                raise self._error("missing ')' for the '(' here", lexeme)
            self.index += 1
            return node
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

    def _field(self, lexeme: _Lexeme) -> Node:
        if lexeme.field in TIME_FIELDS:
            moment = _parse_time(lexeme.text, self.default_tz, self.query, lexeme.position)
            if lexeme.field == "since":
                return TimeRange(moment, None, lexeme.position)
            return TimeRange(None, moment, lexeme.position)
        value = fold_author(lexeme.text) if lexeme.field == "author" else lexeme.text.strip().lower()
        return FieldTerm(lexeme.field, value, lexeme.position)


def parse(query: str, default_tz: tzinfo = UTC, exact_accents: bool = False) -> Node:
    """Parse ``query`` into a tree, or raise :class:`QueryError` pointing at the fault.

    ``default_tz`` is the zone of dates written without an offset (``since:2026-10-20``);
    ``exact_accents`` makes every word match with its diacritics, as if written ``=word``.
    """
    return _Parser(query, default_tz, exact_accents).parse()


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
