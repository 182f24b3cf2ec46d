"""A Telegram delivery logged at DEBUG, libraries included: the bot token never reaches the log."""

from __future__ import annotations

import asyncio

import pytest

from monitor.db import Database
from monitor.delivery import Dispatcher
from tests.monitor.delivery.conftest import ChannelsLoader, make_alert
from tests.monitor.delivery.servers import telegram_api
from tests.monitor.test_logs import TOKEN, captured_logs

CHAT = -1001234567890


def test_a_telegram_delivery_at_debug_never_logs_the_token(
    db: Database, channels: ChannelsLoader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONITOR_LOG_LEVEL", raising=False)
    with telegram_api(TOKEN, CHAT) as api, captured_logs(verbose=True) as logs:
        config = channels(
            f"""
            channels:
              - id: duty-telegram
                type: telegram
                token_env: TELEGRAM_TOKEN
                chat_id: {CHAT}
                api_base: {api.url}
                allow_private_network: true
            """,
            env={"TELEGRAM_TOKEN": TOKEN},
        )
        dispatcher = Dispatcher(db, config)
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        assert asyncio.run(dispatcher.deliver_due()).sent == 1
    assert api.received[0].path == f"/bot{TOKEN}/sendMessage"  # the token did go to the server
    text = logs.getvalue()
    assert f"HTTP Request: POST {api.url}/bot<redacted>/sendMessage" in text  # httpx's request line, cleaned
    assert "DEBUG httpcore" in text  # DEBUG reached the libraries
    assert TOKEN.split(":")[1] not in text
