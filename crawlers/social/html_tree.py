"""A tolerant HTML tree for pages whose markup is regular but may be broken or cut off.

Built on the standard library's ``html.parser``: unclosed elements are closed at the end, stray end tags
are ignored, and every element remembers its offsets so a problem can quote the markup it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser

_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_BLOCK_TAGS = frozenset({"div", "p", "blockquote", "pre", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr"})

_WHITESPACE = re.compile(r"\s+")


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    start: int  # offset of the start tag in the decoded page, to quote a message's markup in a problem
    end: int | None = None  # offset just after the element; None while (or if never) closed
    children: list[Node | str] = field(default_factory=list)

    @cached_property
    def classes(self) -> frozenset[str]:
        return frozenset(self.attrs.get("class", "").split())

    def descendants(self, prune: Callable[[Node], bool] = lambda node: False) -> Iterator[Node]:
        """Elements below this one in document order, not entering (nor yielding) those ``prune`` rejects."""
        # Iterative, so a page of thousands of unclosed tags cannot exhaust the recursion limit.
        stack = [child for child in reversed(self.children) if isinstance(child, Node)]
        while stack:
            node = stack.pop()
            if prune(node):
                continue
            yield node
            stack.extend(child for child in reversed(node.children) if isinstance(child, Node))


class TreeBuilder(HTMLParser):
    """Builds a :class:`Node` tree; an end tag closes the nearest open element of its name, a stray one is ignored."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", source)]
        self.root = Node("#root", {}, 0)
        self._open = [self.root]

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs}, self._offset())
        self._open[-1].children.append(node)
        if tag in _VOID_TAGS:
            node.end = node.start
        else:
            self._open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs}, self._offset())
        node.end = node.start
        self._open[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                here = self._offset()
                close = self.source.find(">", here)
                for node in self._open[depth + 1 :]:  # left open by the author: they end where their parent ends
                    node.end = here
                self._open[depth].end = len(self.source) if close < 0 else close + 1
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def parse_tree(source: str) -> Node:
    builder = TreeBuilder(source)
    builder.feed(source)
    builder.close()
    return builder.root


def first(root: Node, css_class: str, prune: Callable[[Node], bool] = lambda node: False) -> Node | None:
    return next((node for node in root.descendants(prune) if css_class in node.classes), None)


def render(node: Node, prune: Callable[[Node], bool] = lambda node: False) -> str:
    """Visible text: ``<br>`` and block elements are line breaks, other whitespace is one space.

    Emoji need nothing special: Telegram draws them as images but keeps the character in a ``<b>`` inside.
    """
    parts: list[str] = []
    stack: list[Node | str | None] = list(reversed(node.children))  # None marks the end of a block element
    while stack:
        item = stack.pop()
        if item is None:
            parts.append("\n")
        elif isinstance(item, str):
            parts.append(_WHITESPACE.sub(" ", item))
        elif item.tag == "br":
            parts.append("\n")
        elif item.tag not in ("script", "style", "template") and not prune(item):
            if item.tag in _BLOCK_TAGS:
                parts.append("\n")
                stack.append(None)
            stack.extend(reversed(item.children))
    lines = [line.strip() for line in "".join(parts).split("\n")]
    # One empty line between paragraphs, as the author left it; none at either end.
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
