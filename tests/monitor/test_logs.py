"""No secret in any log line, at any level; libraries' request logs only when asked for."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from monitor.logs import LIBRARY_LOGGERS, configure_logging, register_secret, remove_handler

# The shape of a real bot token: the bot's id, a colon, 35 characters.
TOKEN = "7012345678:AAH3kq9ZxYwVuTsRqPoNmLkJiHgFeDcBa12"


@contextmanager
def captured_logs(*, verbose: bool = False) -> Iterator[io.StringIO]:
    """What the monitor's log handler writes while the block runs; logging is put back as it was after."""
    levels = {name: logging.getLogger(name or None).level for name in ("", *LIBRARY_LOGGERS)}
    stream = io.StringIO()
    handler = configure_logging(verbose=verbose, stream=stream)
    try:
        yield stream
    finally:
        remove_handler(handler)
        for name, level in levels.items():
            logging.getLogger(name or None).setLevel(level)


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Everything the monitor's handler writes, at DEBUG, libraries included."""
    monkeypatch.delenv("MONITOR_LOG_LEVEL", raising=False)
    with captured_logs(verbose=True) as stream:
        yield stream


def test_keys_headers_credentials_and_tracebacks_are_redacted(log_lines: io.StringIO) -> None:
    log = logging.getLogger("monitor.test")
    api_key = "dnm_Zq3kT0pS3cretV4lueThatIsLongEnough_123"
    log.info("request with X-API-Key: %s", api_key)
    log.debug("headers: [(b'authorization', b'Bearer %s')]", api_key)
    log.warning("Elasticsearch at https://elastic:m%%E1%%BA%%ADt-kh%%E1%%BA%%A9u@es.example:9200 is down")
    log.info("GET https://www.googleapis.com/youtube/v3/search?part=id&key=AIzaSyD-secret-google-key&q=%s", "Đồng Nai")
    register_secret("mật-khẩu-smtp-2026")
    log.info("SMTP login refused for mật-khẩu-smtp-2026")
    try:
        raise ValueError(f"cannot reach https://api.telegram.org/bot{TOKEN}/sendMessage")
    except ValueError:
        log.exception("delivery failed")
    text = log_lines.getvalue()
    for secret in (api_key, "Zq3kT0pS3cret", "m%E1%BA%ADt-kh%E1%BA%A9u", "AIzaSyD-secret-google-key", TOKEN[11:]):
        assert secret not in text
    assert "mật-khẩu-smtp-2026" not in text
    assert "X-API-Key: <redacted>" in text
    assert "[(b'authorization', b'Bearer <redacted>')]" in text
    assert "https://elastic:<redacted>@es.example:9200" in text
    assert "key=<redacted>&q=Đồng Nai" in text
    assert "SMTP login refused for <redacted>" in text
    assert "ValueError: cannot reach https://api.telegram.org/bot<redacted>/sendMessage" in text


def test_library_loggers_stay_at_warning_unless_debug_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = logging.getLogger("elastic_transport.transport")
    monkeypatch.delenv("MONITOR_LOG_LEVEL", raising=False)
    with captured_logs() as quiet:
        transport.info("POST http://127.0.0.1:9200/_bulk [status:200]")
        transport.warning("node http://127.0.0.1:9200 is down")
        logging.getLogger("monitor.service").info("cycle: 5 sources, 204 new documents")
    monkeypatch.setenv("MONITOR_LOG_LEVEL", "debug")
    with captured_logs() as asked:
        transport.info("POST http://127.0.0.1:9200/_search [status:200]")
    assert [line.split(" ", 2)[2] for line in quiet.getvalue().splitlines()] == [
        "WARNING elastic_transport.transport: node http://127.0.0.1:9200 is down",
        "INFO monitor.service: cycle: 5 sources, 204 new documents",
    ]
    assert asked.getvalue().endswith(
        "INFO elastic_transport.transport: POST http://127.0.0.1:9200/_search [status:200]\n"
    )
