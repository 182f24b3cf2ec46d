"""What is delivered: a snapshot of the alert taken at enqueue time, and its renderings per channel.

The snapshot (:class:`AlertMessage`) is stored in the outbox, so a retry hours later, or after a
restart, sends exactly what triggered the delivery, and the outbox never depends on the alert store.
Texts are Vietnamese; times are shown in the service's zone.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from monitor.alerting.types import Alert, AlertSeverity
from monitor.delivery.triggers import describe, severity_label
from monitor.records import UtcDatetime
from monitor.zones import DEFAULT_ZONE

DOCUMENTS_IN_MESSAGE = 50  # ids and links carried per message; the alert API lists them all
DOCUMENTS_IN_TEXT = 5  # links shown in an e-mail or chat message
TELEGRAM_TEXT_LIMIT = 4096


class DocumentLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_id: str
    url: str | None = None  # the published page, when known
    api_url: str | None = None  # the document in the monitor's API, when ``public_url`` is set


class AlertMessage(BaseModel):
    """The alert as announced: what it says, why, and links to look at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    rule_id: str
    rule_name: str
    rule_type: str
    severity: AlertSeverity
    title: str
    summary: str
    details: dict[str, Any]
    doc_ids: tuple[str, ...]
    doc_count: int
    event_start: UtcDatetime
    event_end: UtcDatetime
    created_at: UtcDatetime
    updated_at: UtcDatetime
    alert_url: str | None = None
    documents: tuple[DocumentLink, ...] = ()


def build_message(
    alert: Alert,
    *,
    rule_name: str | None = None,
    public_url: str | None = None,
    source_urls: Mapping[str, str] | None = None,
) -> AlertMessage:
    """Snapshot ``alert`` for delivery, with links into the monitor (``public_url``) and to the pages."""
    doc_ids = alert.doc_ids[:DOCUMENTS_IN_MESSAGE]
    urls = source_urls or {}
    return AlertMessage(
        alert_id=alert.alert_id,
        rule_id=alert.rule_id,
        rule_name=rule_name or alert.rule_id,
        rule_type=alert.rule_type,
        severity=alert.severity,
        title=alert.title,
        summary=alert.summary,
        details=alert.details,
        doc_ids=doc_ids,
        doc_count=alert.doc_count,
        event_start=alert.event_start,
        event_end=alert.event_end,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        alert_url=f"{public_url}/alerts/{alert.alert_id}" if public_url else None,
        documents=tuple(
            DocumentLink(
                doc_id=doc_id,
                url=urls.get(doc_id),
                api_url=f"{public_url}/documents/{doc_id}" if public_url else None,
            )
            for doc_id in doc_ids
        ),
    )


@dataclass(frozen=True)
class Envelope:
    """One delivery of one message through one channel.

    ``delivery_key`` is stable across attempts (``alert:channel:trigger``) so receivers can drop
    duplicates: delivery is at-least-once.
    """

    delivery_id: int
    delivery_key: str
    trigger: str
    attempt: int
    message: AlertMessage


def webhook_document(envelope: Envelope, sent_at: datetime) -> dict[str, Any]:
    """The JSON a webhook receives. ``sent_at`` is inside the signed body so a receiver can refuse replays."""
    message = envelope.message
    return {
        "delivery": {
            "id": envelope.delivery_key,
            "trigger": envelope.trigger,
            "trigger_text": describe(envelope.trigger),
            "attempt": envelope.attempt,
            "sent_at": sent_at.isoformat(),
        },
        "alert": {
            "id": message.alert_id,
            "rule": {"id": message.rule_id, "name": message.rule_name, "type": message.rule_type},
            "severity": message.severity.value,
            "title": message.title,
            "summary": message.summary,
            "details": message.details,
            "doc_ids": list(message.doc_ids),
            "doc_count": message.doc_count,
            "event_start": message.event_start.isoformat(),
            "event_end": message.event_end.isoformat(),
            "created_at": message.created_at.isoformat(),
            "updated_at": message.updated_at.isoformat(),
            "links": {
                "alert": message.alert_url,
                "documents": [link.model_dump() for link in message.documents],
            },
        },
    }


def webhook_body(envelope: Envelope, sent_at: datetime) -> bytes:
    """UTF-8 JSON, Vietnamese kept readable (no ``\\u`` escapes)."""
    return json.dumps(webhook_document(envelope, sent_at), ensure_ascii=False, separators=(",", ":")).encode()


def _when(message: AlertMessage, zone: ZoneInfo) -> str:
    start = message.event_start.astimezone(zone).strftime("%H:%M %d/%m/%Y")
    end = message.event_end.astimezone(zone).strftime("%H:%M %d/%m/%Y")
    return start if start == end else f"{start} – {end}"


def _links(message: AlertMessage) -> list[str]:
    shown = [link.url or link.api_url for link in message.documents[:DOCUMENTS_IN_TEXT]]
    return [url for url in shown if url]


def subject(envelope: Envelope, prefix: str) -> str:
    """E-mail subject: ``<prefix> [Cao] Cảnh báo mới: <title>``."""
    message = envelope.message
    parts = [prefix.strip(), f"[{severity_label(message.severity.value)}]", f"{describe(envelope.trigger)}:"]
    return " ".join(part for part in parts if part) + " " + " ".join(message.title.split())


def plain_text(envelope: Envelope, zone: ZoneInfo = DEFAULT_ZONE) -> str:
    """The message as plain text (e-mail body)."""
    message = envelope.message
    lines = [
        f"{describe(envelope.trigger)} — mức độ: {severity_label(message.severity.value)}",
        "",
        message.title,
        "",
        message.summary,
        "",
        f"Quy tắc: {message.rule_name} ({message.rule_id})",
        f"Thời gian sự kiện: {_when(message, zone)}",
        f"Số tài liệu: {message.doc_count}",
    ]
    if message.alert_url:
        lines.append(f"Xem cảnh báo: {message.alert_url}")
    links = _links(message)
    if links:
        lines += ["", "Tài liệu:", *(f"- {url}" for url in links)]
    lines += ["", f"Mã cảnh báo: {message.alert_id}", f"Mã gửi: {envelope.delivery_key}"]
    return "\n".join(lines) + "\n"


def html_text(envelope: Envelope, zone: ZoneInfo = DEFAULT_ZONE) -> str:
    """The message as a small HTML page (e-mail alternative); every value is escaped."""
    message = envelope.message
    esc = html.escape
    rows = [
        ("Mức độ", esc(severity_label(message.severity.value))),
        ("Quy tắc", f"{esc(message.rule_name)} (<code>{esc(message.rule_id)}</code>)"),
        ("Thời gian sự kiện", esc(_when(message, zone))),
        ("Số tài liệu", str(message.doc_count)),
    ]
    table = "".join(f"<tr><th align='left'>{name}</th><td>{value}</td></tr>" for name, value in rows)
    links = "".join(f"<li><a href='{esc(url)}'>{esc(url)}</a></li>" for url in _links(message))
    alert_link = f"<p><a href='{esc(message.alert_url)}'>Xem cảnh báo</a></p>" if message.alert_url else ""
    return (
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'></head><body>"
        f"<p><strong>{esc(describe(envelope.trigger))}</strong></p>"
        f"<h2>{esc(message.title)}</h2><p>{esc(message.summary)}</p>"
        f"<table>{table}</table>{alert_link}"
        + (f"<p>Tài liệu:</p><ul>{links}</ul>" if links else "")
        + f"<p><small>Mã cảnh báo: {esc(message.alert_id)}</small></p></body></html>"
    )


def telegram_html(envelope: Envelope, zone: ZoneInfo = DEFAULT_ZONE) -> str:
    """The message in Telegram's HTML subset (b, a, code), within the API's 4096 characters."""
    message = envelope.message
    esc = html.escape
    head = [
        f"<b>{esc(describe(envelope.trigger))}</b> — mức độ <b>{esc(severity_label(message.severity.value))}</b>",
        f"<b>{esc(_cut(message.title, 300))}</b>",
    ]
    tail = [
        f"Quy tắc: {esc(message.rule_name)}",
        f"Thời gian: {esc(_when(message, zone))} · {message.doc_count} tài liệu",
    ]
    if message.alert_url:
        tail.append(f'<a href="{esc(message.alert_url)}">Xem cảnh báo</a>')
    tail += [f'• <a href="{esc(url)}">{esc(_cut(url, 60))}</a>' for url in _links(message)]
    # The summary is the only free-length part: cut the raw text (never the markup, which Telegram would
    # refuse with a 400) until the whole message fits.
    room = TELEGRAM_TEXT_LIMIT - len("\n".join([*head, *tail])) - 1
    summary = message.summary
    while summary and len(esc(summary)) > room:
        escaped = len(esc(summary))
        summary = _cut(summary, max(0, min(len(summary) - 1, len(summary) * room // escaped - 1)))
    return "\n".join([*head, esc(summary), *tail])


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
