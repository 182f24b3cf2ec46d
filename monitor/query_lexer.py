"""Splitting a query into words, phrases, field filters, operators and parentheses (see :mod:`monitor.query`)."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.errors import QueryError

KEYWORDS = frozenset({"AND", "OR", "NOT"})
FIELDS = frozenset({"source", "platform", "topic", "sentiment", "author", "story"})
TIME_FIELDS = frozenset({"since", "until"})
_FIELD_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")


@dataclass(frozen=True)
class Lexeme:
    """One token of a query, with the position it starts at."""

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


def _looks_like_field(name: str, rest: str) -> bool:
    """``foo:bar`` is meant as a filter; ``10:30``, ``https://...`` or a trailing colon are text."""
    return bool(name) and set(name) <= _FIELD_NAME and rest[:1].isalnum()


def lex(query: str) -> list[Lexeme]:
    """Split ``query`` into lexemes, or raise :class:`QueryError` at an unterminated phrase or unknown field."""
    lexemes: list[Lexeme] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            lexemes.append(Lexeme(ch, ch, i))
            i += 1
            continue
        if ch == "-" and i + 1 < len(query) and not query[i + 1].isspace():
            lexemes.append(Lexeme("-", "-", i))
            i += 1
            continue
        start = i
        exact = ch == "=" and i + 1 < len(query) and not query[i + 1].isspace()
        if exact:
            i += 1
        if query[i] == '"':
            text, i = _read_quoted(query, i)
            lexemes.append(Lexeme("phrase", text, start, exact))
            continue
        word, i = _read_bare(query, i)
        name, colon, rest = word.partition(":")
        if colon and not exact and name.lower() in FIELDS | TIME_FIELDS:
            if not rest and i < len(query) and query[i] == '"':
                rest, i = _read_quoted(query, i)
            if not rest:
                raise QueryError(f"'{name}:' needs a value", query=query, position=start)
            lexemes.append(Lexeme("field", rest, start, field=name.lower()))
            continue
        if colon and not exact and _looks_like_field(name, rest):
            known = ", ".join(sorted(FIELDS | TIME_FIELDS))
            raise QueryError(
                f"unknown field '{name}' (fields: {known}; quote the text to search for it as words)",
                query=query,
                position=start,
            )
        kind = word if word in KEYWORDS and not exact else "word"
        lexemes.append(Lexeme(kind, word, start, exact))
    return lexemes
