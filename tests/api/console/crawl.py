"""Walk the console as a person would, following every link, and read each page's HTML for what every
page must keep (used by test_every_page.py)."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from fastapi.testclient import TestClient

MAX_PAGES = 400
ISO_MOMENT = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
SKIPPED_TEXT = frozenset({"script", "style", "textarea", "pre", "code", "title"})
FIELD_TYPES_WITHOUT_LABEL = frozenset({"hidden", "submit", "button", "reset", "image"})


@dataclass
class PostForm:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class PageReading(HTMLParser):
    """What the checks need from one page: links, forms, fields and their labels, scripts, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[PostForm] = []
        self.fields: list[dict[str, str]] = []
        self.labelled: set[str] = set()
        self.inline_scripts = 0
        self.inline_styles: list[str] = []
        self.header_cells_without_scope = 0
        self.texts: list[str] = []
        self.lang = ""
        self._skip: list[str] = []
        self._form: PostForm | None = None
        self._in_label = 0  # a field inside <label> is named by it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if "style" in found:
            self.inline_styles.append(tag)
        if tag == "html":
            self.lang = found.get("lang", "")
        elif tag == "a" and "href" in found:
            self.links.append(found["href"])
        elif tag == "form":
            self._form = PostForm(found.get("action", "")) if found.get("method", "get").lower() == "post" else None
            if self._form is not None:
                self.forms.append(self._form)
        elif tag in ("input", "select", "textarea"):
            self.fields.append({"tag": tag, "wrapped": "yes" if self._in_label else "", **found})
            if self._form is not None and "name" in found:
                self._form.fields[found["name"]] = found.get("value", "")
        elif tag == "label":
            self._in_label += 1
            if "for" in found:
                self.labelled.add(found["for"])
        elif tag == "script" and not found.get("src"):
            self.inline_scripts += 1
        elif tag == "th" and "scope" not in found:
            self.header_cells_without_scope += 1
        if tag in SKIPPED_TEXT:
            self._skip.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "label" and self._in_label:
            self._in_label -= 1
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())

    def unlabelled_fields(self) -> list[str]:
        """Fields a screen reader could not name: no <label for>, no aria-label, not hidden or a button."""
        return [
            f"<{item['tag']} name={item.get('name')!r}>"
            for item in self.fields
            if item.get("type", "") not in FIELD_TYPES_WITHOUT_LABEL
            and not item["wrapped"]
            and item.get("id", "") not in self.labelled
            and not item.get("aria-label")
            and not item.get("aria-labelledby")
        ]


def read_page(html: str) -> PageReading:
    reading = PageReading()
    reading.feed(html)
    reading.close()
    return reading


@dataclass
class Visit:
    path: str
    status: int
    content_type: str
    reading: PageReading | None


def walk(client: TestClient, start: str, limit: int = MAX_PAGES) -> list[Visit]:
    """Every console page reachable by links from ``start`` (GET only; forms are not submitted)."""
    queue, seen = deque([start]), {start}
    visits: list[Visit] = []
    while queue and len(visits) < limit:
        path = queue.popleft()
        response = client.get(path)
        content_type = response.headers.get("content-type", "")
        reading = read_page(response.text) if content_type.startswith("text/html") else None
        visits.append(Visit(path, response.status_code, content_type, reading))
        for href in reading.links if reading else []:
            target, _ = urldefrag(urljoin(path, href))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/console/") or parts.path.startswith("/console/static/"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                seen.add(local)
                queue.append(local)
    return visits


def page_faults(visit: Visit) -> list[str]:
    """What a page breaks of the rules every console page keeps."""
    reading = visit.reading
    if reading is None:
        return []
    faults = []
    if reading.lang != "vi":
        faults.append(f"<html lang> is {reading.lang!r}, not 'vi'")
    faults += [f"field without a label: {name}" for name in reading.unlabelled_fields()]
    unguarded = [form.action for form in reading.forms if "csrf_token" not in form.fields]
    faults += [f"POST form to {action!r} without the CSRF token" for action in unguarded]
    if reading.inline_scripts:
        faults.append(f"{reading.inline_scripts} inline script(s): the Content-Security-Policy blocks them")
    if reading.inline_styles:
        tags = sorted(set(reading.inline_styles))
        faults.append(f"style attributes on {tags}: the Content-Security-Policy blocks them")
    if reading.header_cells_without_scope:
        faults.append(f"{reading.header_cells_without_scope} <th> without scope")
    iso_moments = [text[:80] for text in reading.texts if ISO_MOMENT.search(text)]
    faults += [f"a moment shown in ISO form, not local time: {text!r}" for text in iso_moments]
    return faults
