"""The normalize stage: canonical Unicode and tone marks on every text field of a document."""

from __future__ import annotations

from monitor.records import Document
from monitor.text import normalize


def normalize_document(document: Document) -> Document:
    """Return ``document`` with NFC, canonical tone-mark placement and tidy spacing in its text fields."""
    return document.model_copy(
        update={
            "title": normalize(document.title),
            "text": normalize(document.text),
            "author": normalize(document.author) if document.author else None,
            "channel": normalize(document.channel) if document.channel else None,
        }
    )
