"""Redaction in briefings (documents leaving for another agency): the policy of :mod:`monitor.access.privacy`.

A briefing applies the same privacy policy as the researchers' view (private authors, @mentions and
channels named after a person pseudonymized, phones and e-mails masked, no social-post URLs; institutions
and officials in office keep their names, and so does the correction's issuing body). On top of it, a
:class:`Redactor` remembers every private person it met while building the briefing, so the case title,
the claim or an English summary written by an officer cannot name them either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from monitor.access.privacy import (
    EMAIL_MASK,
    INSTITUTION_PREFIXES,
    OFFICE_TITLES,
    PHONE_MASK,
    PrivacyPolicy,
    Pseudonymizer,
)
from monitor.records import Document

__all__ = ["EMAIL_MASK", "INSTITUTION_PREFIXES", "OFFICE_TITLES", "PHONE_MASK", "Redactor"]


class Redactor(PrivacyPolicy):
    """The privacy policy for one briefing, hiding the private people it met in every text it redacts."""

    def __init__(
        self, pseudonyms: Pseudonymizer, *, keep: Iterable[str] = (), is_author: Callable[[str], bool] | None = None
    ) -> None:
        """As :class:`PrivacyPolicy`, with nobody met yet."""
        super().__init__(pseudonyms, keep=keep, is_author=is_author)
        self._met: list[str] = []

    def author(self, name: str | None) -> str | None:
        """As :meth:`PrivacyPolicy.author`; a private name is remembered for :meth:`text`."""
        shown = super().author(name)
        if name is not None and shown is not None and shown != name.strip() and name.strip() not in self._met:
            self._met.append(name.strip())
        return shown

    def text(self, text: str, names: Iterable[str] = ()) -> str:
        """As :meth:`PrivacyPolicy.text`, also replacing every private person met so far."""
        return super().text(text, [*self._met, *names])

    def document(self, document: Document, names: Iterable[str] = ()) -> Document:
        """As :meth:`PrivacyPolicy.document`; the people it names are remembered for later texts."""
        for name in self.private_names(document):
            self.author(name)
        return super().document(document, names)
