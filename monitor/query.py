"""The officers' search syntax: parse once, run on any backend or in Python.

Syntax: words, ``"quoted phrases"``, ``AND`` (also implied by juxtaposition), ``OR``, ``NOT`` or a leading
``-``, and parentheses. Matching is accent-insensitive: every word is folded with :func:`monitor.text.fold`,
so ``dong nai`` finds ``Đồng Nai``. A word that folds into several tokens (``Biên-Hòa``) is a phrase.

The parser produces a small immutable tree; :func:`matches` evaluates it against a document's tokens
(used by watch rules), and store backends compile it to their own query language. Errors point at the
character where the query went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.errors import QueryError
from monitor.text import tokens as fold_tokens

KEYWORDS = frozenset({"AND", "OR", "NOT"})


@dataclass(frozen=True)
class Term:
    token: str
    position: int


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[str, ...]
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


Node = Term | Phrase | And | Or | Not


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # "word", "phrase", "(", ")", "AND", "OR", "NOT", "-"
    text: str
    position: int


def _lex(query: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            lexemes.append(_Lexeme(ch, ch, i))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end == -1:
                raise QueryError("unterminated quoted phrase", query=query, position=i)
            lexemes.append(_Lexeme("phrase", query[i + 1 : end], i))
            i = end + 1
        else:
            start = i
            if ch == "-" and i + 1 < len(query) and not query[i + 1].isspace():
                lexemes.append(_Lexeme("-", "-", i))
                i += 1
                continue
            while i < len(query) and not query[i].isspace() and query[i] not in '()"':
                i += 1
            word = query[start:i]
            kind = word if word in KEYWORDS else "word"
            lexemes.append(_Lexeme(kind, word, start))
    return lexemes


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
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
        return children[0] if len(children) == 1 else Or(tuple(children), first_position(first))

    def _and(self) -> Node:
        first = self._unary()
        children = [first]
        while (lexeme := self._peek()) is not None and lexeme.kind not in ("OR", ")"):
            if lexeme.kind == "AND":
                self.index += 1
            children.append(self._unary())
        return children[0] if len(children) == 1 else And(tuple(children), first_position(first))

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
        if lexeme.kind in ("word", "phrase"):
            words = fold_tokens(lexeme.text)
            if not words:
                raise self._error(f"'{lexeme.text}' has no letters or digits to search for", lexeme)
            if len(words) == 1 and lexeme.kind == "word":
                return Term(words[0], lexeme.position)
            return Phrase(tuple(words), lexeme.position)
        raise self._error(f"expected a word, a phrase or '(' but found '{lexeme.text}'", lexeme)


def first_position(node: Node) -> int:
    """Position in the query string where ``node`` starts."""
    return node.position


def _check_positive(node: Node, query: str) -> None:
    """Reject queries that are only negations: no backend can list 'everything except X' cheaply."""
    if isinstance(node, Not):
        raise QueryError(
            "a NOT needs a positive term beside it (e.g. 'ngập NOT quảng cáo')", query=query, position=node.position
        )
    if isinstance(node, And):
        if all(isinstance(child, Not) for child in node.children):
            raise QueryError("a NOT needs a positive term beside it", query=query, position=node.position)
        for child in node.children:
            _check_positive(child.child if isinstance(child, Not) else child, query)
    elif isinstance(node, Or):
        for child in node.children:
            _check_positive(child, query)


def parse(query: str) -> Node:
    """Parse ``query`` into a tree, or raise :class:`QueryError` pointing at the fault."""
    node = _Parser(query).parse()
    _check_positive(node, query)
    return node


def _contains_phrase(doc_tokens: Sequence[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    first = phrase[0]
    return any(
        doc_tokens[i] == first and tuple(doc_tokens[i : i + size]) == phrase for i in range(len(doc_tokens) - size + 1)
    )


def matches(node: Node, doc_tokens: Sequence[str], token_set: frozenset[str] | None = None) -> bool:
    """Evaluate ``node`` against the folded tokens of one document."""
    present = token_set if token_set is not None else frozenset(doc_tokens)
    if isinstance(node, Term):
        return node.token in present
    if isinstance(node, Phrase):
        return all(t in present for t in node.tokens) and _contains_phrase(doc_tokens, node.tokens)
    if isinstance(node, And):
        return all(matches(child, doc_tokens, present) for child in node.children)
    if isinstance(node, Or):
        return any(matches(child, doc_tokens, present) for child in node.children)
    return not matches(node.child, doc_tokens, present)


def positive_terms(node: Node) -> list[str]:
    """Folded words and phrases the query looks for (not under NOT): used to explain a match."""
    if isinstance(node, Term):
        return [node.token]
    if isinstance(node, Phrase):
        return [" ".join(node.tokens)]
    if isinstance(node, And | Or):
        return [term for child in node.children for term in positive_terms(child)]
    return []
