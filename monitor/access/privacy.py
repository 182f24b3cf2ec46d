"""The privacy policy: what a researcher, a notebook, a dataset or a briefing may show of a document.

One policy for every place people's data leaves the office (the API's researcher role, the research
notebooks, the Parquet dataset, the briefings for other agencies), applied by
:meth:`PrivacyPolicy.document` (and :meth:`PrivacyPolicy.analyzed` with the analysis):

* **Authors** become the install's keyed pseudonym (HMAC-SHA256, :class:`Pseudonymizer`): the same
  ``anon-…`` for the same person in every query and export, so posts per author can still be counted,
  while nobody without the install's key can reverse or recompute it. *Public* authors keep their name:
  an institution (the name starts with an institution type such as "UBND", "Sở", "Công an", "Báo"), an
  official in office (it starts with a title such as "Chủ tịch", "Giám đốc"), or a name the caller lists
  in ``keep``. Only the *start* of the name is looked at, since that is where Vietnamese writes the type
  or title ("Sở Y tế Đồng Nai"), and "Nguyễn Văn Sở" stays private.
* **@mentions** (``@Ngọc Hân Trần`` in a reply: the handle plus the capitalized words after it) get the
  author treatment, so a reply does not name the author of the post it answers.
* **Channels** (groups, pages, outlets) keep their name unless it is a person's: the document's own
  author (a Telegram channel, a personal page) or, when the policy can ask the store, any author.
* **Private names in running text** (the document's author and the people it @mentions, written again
  without the @) become their pseudonyms too, and so do person names found by the NER.
* **Phone numbers** and **e-mail addresses** are masked, except e-mail addresses of ``.gov.vn`` domains.
* **Social posts carry no URL** (nor media URLs): a post's URL leads straight to its author's profile.
  News articles keep theirs, which name a newsroom.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from monitor.analysis import AnalyzedDocument
from monitor.files import private_dir
from monitor.records import Document, Platform
from monitor.store.base import DocumentFilter, DocumentStore

KEY_FILE = "pseudonym.key"

INSTITUTION_PREFIXES = (
    "ubnd",
    "ủy ban",
    "uỷ ban",
    "hđnd",
    "hội đồng",
    "sở",
    "bộ",
    "công an",
    "tỉnh ủy",
    "tỉnh uỷ",
    "thành ủy",
    "thành uỷ",
    "cục",
    "chi cục",
    "tổng cục",
    "ban",
    "trung tâm",
    "báo",
    "đài",
    "tạp chí",
    "thông tấn",
    "cổng thông tin",
    "văn phòng",
    "bệnh viện",
    "trường đại học",
    "trường cao đẳng",
    "trường thpt",
    "trường thcs",
    "trường tiểu học",
    "trường mầm non",
    "viện",
    "công ty",
    "tập đoàn",
    "ngân hàng",
    "quân khu",
    "bộ chỉ huy",
    "mặt trận",
    "liên đoàn",
    "hội",
    "vtv",
    "vov",
    "ttxvn",
)  # fmt: skip  ("trường" alone is a common given name: "Trường Nguyễn" is a person)
OFFICE_TITLES = (
    "chủ tịch", "phó chủ tịch", "bí thư", "phó bí thư", "giám đốc", "phó giám đốc", "người phát ngôn",
    "thủ tướng", "phó thủ tướng", "bộ trưởng", "thứ trưởng", "đại biểu", "chánh văn phòng", "trưởng ban",
    "cục trưởng", "đại tá", "thượng tá", "trung tá", "thiếu tướng", "trung tướng",
)  # fmt: skip
PHONE_MASK = "[SĐT đã ẩn]"
EMAIL_MASK = "[email đã ẩn]"

_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
# 0912 345 678, 0912.345.678, +84 912 345 678, (0251) 3822 xxx: 9 to 11 digits after the prefix.
_PHONE = re.compile(r"(?<![\w+])(?:\+84|\(0\d{2,3}\)|0)(?:[ .\-]?\d){8,10}(?!\d)")
# "@Ngọc Hân Trần thông cảm": a mention is the handle plus the capitalized words right after it (Vietnamese
# names are written as capitalized words); at most five words are looked at.
# A pseudonym already in place (``@anon-…``) is not a mention again: the view is idempotent.
_MENTION = re.compile(r"(?<![\w@])@(?!anon-[0-9a-f]{12}(?![\w-]))(\w[\w.]*(?:[ \t]\w[\w.]*){0,4})")
_HANDLE = re.compile(r"(?<![\w@])@([^\W_][\w.\-]{0,63})")  # the handles left in a redacted text
PERSON_ENTITY = "PER"


class Pseudonymizer:
    """The install's keyed pseudonyms: the same ``anon-…`` for the same name, irreversible without the key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Pseudonymizer:
        """Use the install's key in ``data_dir``, creating it (readable by the owner only) on first use."""
        path = data_dir / KEY_FILE
        if not path.exists():
            private_dir(data_dir)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it first: use theirs
                return cls(path.read_bytes())
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        return cls(path.read_bytes())

    def pseudonym(self, name: str) -> str:
        """``anon-`` and 12 hex digits of the keyed hash of the name (case and spacing ignored)."""
        digest = hmac.new(self._key, name.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
        return f"anon-{digest[:12]}"


def name_key(name: str) -> str:
    """A name compared the way people write it: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _starts_with_any(name: str, prefixes: Iterable[str]) -> bool:
    # Whole words only: "Báo Đồng Nai" starts with "báo", "Bảo Anh" does not start with "báo".
    return any(name == p or name.startswith(p + " ") for p in prefixes)


def mentioned_name(captured: str) -> str:
    """The name an ``@`` mention refers to: the handle, plus the capitalized words that follow it.

    ``"Hương Thu Nguyễn chị gỡ bài"`` gives ``"Hương Thu Nguyễn"``; a lower-case handle stands alone.
    """
    words = list(re.finditer(r"\S+", captured))
    end = words[0].end()
    if words[0].group()[:1].isupper():  # the name ends before the first lower-case word ("chị")
        for word in words[1:]:
            if not word.group()[:1].isupper():
                break
            end = word.end()
    return captured[:end]


class PrivacyPolicy:
    """The rule of this module's docstring; one instance per request or export (it caches store look-ups)."""

    def __init__(
        self,
        pseudonyms: Pseudonymizer,
        *,
        keep: Iterable[str] = (),
        is_author: Callable[[str], bool] | None = None,
    ) -> None:
        """Pseudonymize with ``pseudonyms``.

        Args:
            pseudonyms: The install's pseudonymizer.
            keep: Names to show as written besides those the rule recognizes as public.
            is_author: Whether a name is any stored document's author (:func:`author_lookup`): a channel
                with such a name is a person's page and is pseudonymized in every document.
        """
        self.pseudonyms = pseudonyms
        self._keep = {name_key(name) for name in keep if name.strip()}
        self._is_author = is_author or (lambda _name: False)
        self._authors: dict[str, bool] = {}

    @classmethod
    def for_store(cls, pseudonyms: Pseudonymizer, store: DocumentStore) -> PrivacyPolicy:
        """The researchers' policy: channels are checked against every author in ``store``."""
        return cls(pseudonyms, is_author=author_lookup(store))

    def is_public(self, name: str) -> bool:
        """Whether ``name`` is an institution, an official in office, or listed in ``keep``."""
        key = name_key(name)
        return key in self._keep or _starts_with_any(key, INSTITUTION_PREFIXES) or _starts_with_any(key, OFFICE_TITLES)

    def author(self, name: str | None) -> str | None:
        """The name to show for a person: kept if public, else its pseudonym (None and blank give None)."""
        if name is None or not name.strip():
            return None
        return name.strip() if self.is_public(name) else self.pseudonyms.pseudonym(name)

    def channel(self, channel: str | None, author: str | None) -> str | None:
        """A group, page or outlet keeps its name, unless that is a person's (the author's, or any author's)."""
        if channel is None:
            return None
        if author is not None and name_key(channel) == name_key(author):
            return self.author(channel)
        if channel not in self._authors:  # a few distinct channels: one store query each
            self._authors[channel] = self._is_author(channel)
        return self.author(channel) if self._authors[channel] else channel

    def text(self, text: str, names: Iterable[str] = ()) -> str:
        """``text`` with e-mails, phones, private @mentions and the private ``names`` replaced."""
        text = _EMAIL.sub(_email, text)
        text = _PHONE.sub(PHONE_MASK, text)
        text = _MENTION.sub(self._mention, text)
        private = {name.strip(): self.pseudonyms.pseudonym(name) for name in names if name.strip()}
        private = {name: pseudonym for name, pseudonym in private.items() if not self.is_public(name)}
        if private:
            # Longest first, so "Nguyễn Văn An" is replaced whole rather than leaving "An" after "Nguyễn Văn".
            ordered = sorted(private, key=len, reverse=True)
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in ordered) + r")(?!\w)", re.IGNORECASE)
            by_key = {name_key(name): pseudonym for name, pseudonym in private.items()}
            text = pattern.sub(lambda m: by_key.get(name_key(m.group()), m.group()), text)
        return text

    def private_names(self, document: Document) -> list[str]:
        """The people a document names: its author, a channel named after a person, those it @mentions."""
        names = [document.author or ""]
        if document.channel is not None and self.channel(document.channel, document.author) != document.channel:
            names.append(document.channel)
        for text in (document.title, document.text):
            names.extend(mentioned_name(match.group(1)) for match in _MENTION.finditer(text))
        return [name for name in names if name.strip() and not self.is_public(name)]

    def document(self, document: Document, names: Iterable[str] = ()) -> Document:
        """The document as it may be shown: the one view every consumer uses (see the module docstring).

        ``names`` adds other private names to replace in its text (a briefing passes every author it lists).
        """
        private = [*self.private_names(document), *names]
        news = document.platform is Platform.NEWS
        return document.model_copy(
            update={
                "title": self.text(document.title, private),
                "text": self.text(document.text, private),
                "author": self.author(document.author),
                "channel": self.channel(document.channel, document.author),
                "url": document.url if news else "",  # a post's URL identifies its author
                "media_urls": document.media_urls if news else (),
            }
        )

    def analyzed(self, item: AnalyzedDocument) -> AnalyzedDocument:
        """:meth:`document` plus the analysis: person entities and @mentions replaced like the text."""
        document = self.document(item.document)
        analysis = item.analysis
        entities = tuple(
            entity.model_copy(update={"text": self.author(entity.text) or ""})
            if entity.kind == PERSON_ENTITY
            else entity
            for entity in analysis.entities
        )  # offsets still point into the stored text; only the names are hidden
        mentions = tuple(dict.fromkeys(_HANDLE.findall(document.content)))
        markup = analysis.markup.model_copy(update={"mentions": mentions})
        return item.model_copy(
            update={
                "document": document,
                "analysis": analysis.model_copy(update={"entities": entities, "markup": markup}),
            }
        )

    def _mention(self, match: re.Match[str]) -> str:
        captured = match.group(1)
        name = mentioned_name(captured)
        if self.is_public(name):
            return match.group()
        return f"@{self.pseudonyms.pseudonym(name)}{captured[len(name) :]}"


def _email(match: re.Match[str]) -> str:
    domain = match.group(1).casefold()
    return match.group() if domain == "gov.vn" or domain.endswith(".gov.vn") else EMAIL_MASK


def author_lookup(store: DocumentStore) -> Callable[[str], bool]:
    """Whether a name is the author of any stored document (``author:`` matches accent-insensitively)."""

    def is_author(name: str) -> bool:
        quoted = name.replace('"', " ").strip()
        return bool(quoted) and store.count(DocumentFilter(text=f'author:"{quoted}"')) > 0

    return is_author
