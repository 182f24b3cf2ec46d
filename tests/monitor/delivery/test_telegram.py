"""Telegram delivery against a local server speaking the Bot API (sendMessage, flood control, errors)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from monitor.db import Database
from monitor.delivery import AttemptOutcome, DeliveryState, Dispatcher
from monitor.delivery.telegram import MAX_REPLY_BYTES
from monitor.records import utc_now
from tests.bombs import GIB, brotli_bomb, peak_memory
from tests.monitor.delivery.conftest import ChannelsLoader, make_alert
from tests.monitor.delivery.servers import Answer, telegram_api, telegram_error

TOKEN = "123456:ABC-secret-token"
CHAT = -1001234567890


def telegram_yaml(api_base: str, chat_id: int = CHAT) -> str:
    return f"""
    public_url: https://giamsat.example.vn
    channels:
      - id: duty-telegram
        type: telegram
        token_env: TELEGRAM_TOKEN
        chat_id: {chat_id}
        api_base: {api_base}
        allow_private_network: true
        retry: {{max_attempts: 5, initial_delay: 1s, max_delay: 10s}}
    """


def test_telegram_message_is_escaped_html_in_vietnamese(db: Database, channels: ChannelsLoader) -> None:
    with telegram_api(TOKEN, CHAT) as api:
        config = channels(telegram_yaml(api.url), env={"TELEGRAM_TOKEN": TOKEN})
        dispatcher = Dispatcher(db, config, rule_names={"watch-flooding": "Ngập lụt, mưa lớn"})
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        assert asyncio.run(dispatcher.deliver_due()).sent == 1

    [request] = api.received
    assert request.path == f"/bot{TOKEN}/sendMessage"
    payload = request.json()
    assert payload["chat_id"] == CHAT
    assert payload["parse_mode"] == "HTML"
    text = payload["text"]
    assert text.startswith("<b>Cảnh báo mới</b> — mức độ <b>Trung bình</b>\n<b>Ngập sâu ở Biên Hòa sau mưa lớn</b>")
    assert "người dân phản ánh &lt;nước&gt; &amp; rác." in text
    assert "Quy tắc: Ngập lụt, mưa lớn" in text
    assert '<a href="https://giamsat.example.vn/alerts/alert-1">Xem cảnh báo</a>' in text
    [entry] = dispatcher.log_for("alert-1")
    assert (entry.outcome, entry.status, entry.reply) == (AttemptOutcome.SENT, 200, "message_id=1")


def test_flood_control_429_waits_retry_after_then_delivers(db: Database, channels: ChannelsLoader) -> None:
    script = [telegram_error(429, "Too Many Requests: retry after 37", retry_after=37)]
    with telegram_api(TOKEN, CHAT, script) as api:
        dispatcher = Dispatcher(db, channels(telegram_yaml(api.url), env={"TELEGRAM_TOKEN": TOKEN}))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        now = utc_now()
        assert asyncio.run(dispatcher.deliver_due(now)).retrying == 1
        [delivery] = dispatcher.deliveries_for("alert-1")
        assert delivery.next_attempt_at is not None
        # retry_after (37 s) beats the 1 s back-off.
        assert delivery.next_attempt_at >= now + timedelta(seconds=37)
        assert asyncio.run(dispatcher.deliver_due(now + timedelta(seconds=30))).attempted == 0
        assert asyncio.run(dispatcher.deliver_due(now + timedelta(seconds=38))).sent == 1
    log = dispatcher.log_for("alert-1")
    assert [(e.outcome, e.status) for e in log] == [(AttemptOutcome.RETRY, 429), (AttemptOutcome.SENT, 200)]
    assert log[0].reply == "Too Many Requests: retry after 37"


def test_bad_token_is_permanent_and_never_logged(db: Database, channels: ChannelsLoader) -> None:
    with telegram_api(TOKEN, CHAT) as api:
        config = channels(telegram_yaml(api.url), env={"TELEGRAM_TOKEN": "999:wrong-token"})
        dispatcher = Dispatcher(db, config)
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        assert asyncio.run(dispatcher.deliver_due()).failed == 1
    [entry] = dispatcher.log_for("alert-1")
    assert (entry.outcome, entry.status) == (AttemptOutcome.FAILED, 401)
    assert entry.error == "telegram refused the message: 401 Unauthorized"
    assert "wrong-token" not in entry.model_dump_json()
    assert dispatcher.deliveries_for("alert-1")[0].state is DeliveryState.FAILED


def test_unknown_chat_is_permanent(db: Database, channels: ChannelsLoader) -> None:
    with telegram_api(TOKEN, CHAT) as api:
        dispatcher = Dispatcher(db, channels(telegram_yaml(api.url, chat_id=42), env={"TELEGRAM_TOKEN": TOKEN}))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        assert asyncio.run(dispatcher.deliver_due()).failed == 1
    [entry] = dispatcher.log_for("alert-1")
    assert (entry.status, entry.reply) == (400, "Bad Request: chat not found")


def test_long_summary_is_cut_to_telegram_limit_without_breaking_markup(db: Database, channels: ChannelsLoader) -> None:
    with telegram_api(TOKEN, CHAT) as api:
        dispatcher = Dispatcher(db, channels(telegram_yaml(api.url), env={"TELEGRAM_TOKEN": TOKEN}))
        dispatcher.enqueue([make_alert(summary="Tin đồn <sai> & " * 2000)], new_ids={"alert-1"})
        assert asyncio.run(dispatcher.deliver_due()).sent == 1
    text = api.received[0].json()["text"]
    assert len(text) <= 4096
    assert "Xem cảnh báo</a>" in text  # the links after the summary survive
    summary_line = text.split("\n")[2]
    assert summary_line.endswith("…")
    assert "&" not in summary_line.replace("&lt;", "").replace("&gt;", "").replace("&amp;", "")


def test_an_answer_that_unpacks_to_a_gibibyte_is_read_only_as_far_as_the_log_needs(
    db: Database, channels: ChannelsLoader
) -> None:
    answer = b'{"ok": true, "result": {"message_id": 7}}' + b" " * 64
    bomb = Answer(200, brotli_bomb(answer, GIB), {"Content-Encoding": "br", "Content-Type": "application/json"})
    with telegram_api(TOKEN, CHAT, [bomb]) as api:
        dispatcher = Dispatcher(db, channels(telegram_yaml(api.url), env={"TELEGRAM_TOKEN": TOKEN}))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        report, peak = peak_memory(lambda: asyncio.run(dispatcher.deliver_due()))
    assert peak < 32 * MAX_REPLY_BYTES  # not the GiB the answer unpacks to
    assert report.sent == 1  # the answer's start (JSON, then padding) is all the receipt needs
    [entry] = dispatcher.log_for("alert-1")
    assert entry.reply == "message_id=7"
