"""Redaction of private individuals' personal data in briefings (documents leaving for another agency).

The rule, applied by default to everything a briefing quotes:

* **Authors** are replaced by the install's keyed pseudonym (:mod:`monitor.privacy`; the same person gets
  the same ``anon-…`` in every export and in the researchers' data) unless the author is *public*: an
  institution (the name starts with an institution type such as "UBND", "Sở", "Công an", "Báo", "Đài",
  "Bộ", "Trung tâm", "Công ty"), an official speaking in office (the name starts with an office title
  such as "Chủ tịch", "Giám đốc", "Người phát ngôn"), or a name the caller lists in ``keep`` (the
  correction's issuing body is always kept). Both checks look only at the *start* of the name, because
  that is where Vietnamese writes the type or title ("Sở Y tế Đồng Nai"), and a private person's name
  that merely contains such a word ("Nguyễn Văn Sở") must stay private.
* **@mentions** get the same treatment as authors: ``@Name`` of a private person becomes ``@anon-…``.
* **Private authors' names in running text** (quoted or replied to without an @) are replaced by their
  pseudonyms too, since the text would otherwise undo the author redaction.
* **Phone numbers** (Vietnamese mobile and landline forms, with or without +84 and separators) and
  **e-mail addresses** are masked, except e-mail addresses of government domains (``.gov.vn``), which are
  institutions' published contacts.

Channels (groups, pages, outlets) keep their names unless the channel is the author's own name.
Social-media post URLs are left out of briefings, since a post's URL leads to its author's profile.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from monitor.privacy import Pseudonymizer

INSTITUTION_PREFIXES = (
    "ubnd", "ủy ban", "uỷ ban", "hđnd", "hội đồng", "sở", "bộ", "công an", "tỉnh ủy", "tỉnh uỷ", "thành ủy",
    "thành uỷ", "cục", "chi cục", "tổng cục", "ban", "trung tâm", "báo", "đài", "tạp chí", "thông tấn",
    "cổng thông tin", "văn phòng", "bệnh viện", "trường", "viện", "công ty", "tập đoàn", "ngân hàng",
    "quân khu", "bộ chỉ huy", "mặt trận", "liên đoàn", "hội", "vtv", "vov", "ttxvn",
)  # fmt: skip
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
# "@Ngọc Hân Trần thông cảm": the handle plus the capitalized words right after it (as monitor.research).
_MENTION = re.compile(r"(?<![\w@])@(\w[\w.]*(?:[ \t]\w[\w.]*){0,4})")


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _starts_with_any(name: str, prefixes: Iterable[str]) -> bool:
    # Whole words only: "Báo Đồng Nai" starts with "báo", "Bảo Anh" does not start with "báo".
    return any(name == p or name.startswith(p + " ") for p in prefixes)


class Redactor:
    """Applies the rule above; one instance per export so the names it learns stay with that export."""

    def __init__(self, pseudonyms: Pseudonymizer, keep: Iterable[str] = ()) -> None:
        self.pseudonyms = pseudonyms
        self._keep = {_key(name) for name in keep if name.strip()}
        self._private: dict[str, str] = {}  # name as written → pseudonym, for scrubbing running text
        self._scrub: re.Pattern[str] | None = None

    def is_public(self, name: str) -> bool:
        """Whether ``name`` is an institution, an official in office, or listed in ``keep``."""
        key = _key(name)
        return key in self._keep or _starts_with_any(key, INSTITUTION_PREFIXES) or _starts_with_any(key, OFFICE_TITLES)

    def author(self, name: str | None) -> str | None:
        """The name to show for an author: kept if public, else its pseudonym (remembered for :meth:`text`)."""
        if name is None or not name.strip():
            return None
        if self.is_public(name):
            return name.strip()
        pseudonym = self.pseudonyms.pseudonym(name)
        if name.strip() not in self._private:
            self._private[name.strip()] = pseudonym
            self._scrub = None
        return pseudonym

    def channel(self, channel: str | None, author: str | None) -> str | None:
        """A group, page or outlet keeps its name, unless it is the author's own name."""
        if channel is None:
            return None
        if author is not None and _key(channel) == _key(author):
            return self.author(channel)
        return channel

    def text(self, text: str) -> str:
        """``text`` with e-mails, phone numbers, private @mentions and known private names masked."""
        text = _EMAIL.sub(self._email, text)
        text = _PHONE.sub(PHONE_MASK, text)
        text = _MENTION.sub(self._mention, text)
        pattern = self._names_pattern()
        if pattern is not None:
            by_key = {_key(name): pseudonym for name, pseudonym in self._private.items()}
            text = pattern.sub(lambda m: by_key.get(_key(m.group()), m.group()), text)
        return text

    def _names_pattern(self) -> re.Pattern[str] | None:
        if self._scrub is None and self._private:
            # Longest first, so "Nguyễn Văn An" is replaced whole rather than leaving "An" after "Nguyễn Văn".
            names = sorted(self._private, key=len, reverse=True)
            self._scrub = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.IGNORECASE)
        return self._scrub

    @staticmethod
    def _email(match: re.Match[str]) -> str:
        domain = match.group(1).casefold()
        return match.group() if domain == "gov.vn" or domain.endswith(".gov.vn") else EMAIL_MASK

    def _mention(self, match: re.Match[str]) -> str:
        captured = match.group(1)
        words = list(re.finditer(r"\S+", captured))
        end = words[0].end()
        if words[0].group()[:1].isupper():  # "@Hương Thu Nguyễn chị gỡ bài": the name ends before "chị"
            for word in words[1:]:
                if not word.group()[:1].isupper():
                    break
                end = word.end()
        name = captured[:end]
        if self.is_public(name):
            return match.group()
        return f"@{self.author(name)}{captured[end:]}"
