"""Logging for the command line and the service: one handler, quiet libraries, no secret in any line.

* The product logs at INFO (``--verbose`` or ``MONITOR_LOG_LEVEL=DEBUG`` for more). Libraries that log
  every request at INFO (the Elasticsearch client, httpx...) stay at WARNING unless DEBUG is asked for,
  so a command's own lines are not buried under a request log.
* Every line passes :class:`RedactSecrets` on its way out, at every level: Telegram bot tokens in URLs,
  API keys (``dnm_...``), ``Authorization`` / ``X-API-Key`` values, credentials in query strings and
  passwords in URLs are replaced, and so is any value registered with :func:`register_secret` (credentials
  read from the environment). The filter sits on the handler, so it sees records from every logger.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from monitor.errors import ConfigError

LEVEL_VARIABLE = "MONITOR_LOG_LEVEL"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<redacted>"

# Libraries whose INFO is a request log (or noise) rather than news for the operator.
LIBRARY_LOGGERS = (
    "elastic_transport",
    "elasticsearch",
    "httpx",
    "httpcore",
    "urllib3",
    "asyncio",
    "hpack",
    "h11",
    "multipart",
    "python_multipart",
    "filelock",
    "matplotlib",
    "PIL",
    "fontTools",
    "huggingface_hub",
    "charset_normalizer",
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram Bot API: the token is part of the path (https://api.telegram.org/bot<id>:<secret>/sendMessage).
    (re.compile(r"(?<![A-Za-z])(bot)\d+:[A-Za-z0-9_-]+"), rf"\1{REDACTED}"),
    # The monitor's own API keys.
    (re.compile(r"\bdnm_[A-Za-z0-9_-]{8,}"), f"dnm_{REDACTED}"),
    # user:password@ in any URL.
    (re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]+:)[^\s/@]+@"), rf"\1{REDACTED}@"),
    # Credentials in query strings (Graph API access_token, Google API key...).
    (
        re.compile(
            r"([?&](?:access_token|key|api_key|apikey|appsecret_proof|client_secret|token|password|sig|signature)=)"
            r"[^&#\s'\"]+",
            re.IGNORECASE,
        ),
        rf"\1{REDACTED}",
    ),
    # Header-, field- and repr-style values: "Authorization: Bearer x", "X-API-Key=x", ('password', 'x').
    (
        re.compile(
            r"\b(authorization|proxy-authorization|x-api-key|api[-_]?key|password|passwd|secret|access_token|"
            r"client_secret|token)(['\"]?\s*[:=]\s*|['\"]\s*,\s*b?)(['\"]?)(?:((?:bearer|basic|apikey|token)\s+))?"
            r"(?!<redacted>)[^\s'\",;&}\)]+",
            re.IGNORECASE,
        ),
        rf"\1\2\3\4{REDACTED}",
    ),
)
_MIN_REGISTERED_LENGTH = 6  # shorter values would match ordinary words
_registered: set[str] = set()
_HANDLER_MARK = "_monitor_handler"
_traceback_formatter = logging.Formatter()


def register_secret(value: str | None) -> None:
    """Redact ``value`` wherever it appears in a log line (a credential read from the environment)."""
    if value and len(value) >= _MIN_REGISTERED_LENGTH:
        _registered.add(value)


def redact(text: str) -> str:
    """``text`` with every secret the patterns know, and every registered value, replaced."""
    for secret in sorted(_registered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message, traceback and stack so that no secret reaches any output."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the formatter report it as logging does
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is rendered (and cleaned) once here.
            record.exc_text = redact(_traceback_formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _level_from_environment() -> int:
    name = os.environ.get(LEVEL_VARIABLE, "").strip().upper()
    if not name:
        return logging.INFO
    level = logging.getLevelNamesMapping().get(name)
    if level is None:
        raise ConfigError(
            f"unknown log level {name!r}; use DEBUG, INFO, WARNING or ERROR",
            path=f"environment variable {LEVEL_VARIABLE}",
        )
    return level


def configure_logging(verbose: bool = False, stream: TextIO | None = None) -> logging.Handler:
    """Send log records to ``stream`` (default: standard error) through the secret filter.

    Args:
        verbose: DEBUG for everything, libraries included (as ``MONITOR_LOG_LEVEL=DEBUG``).
        stream: where lines go; the handler installed by an earlier call is replaced.

    Returns:
        The installed handler (see :func:`remove_handler`).

    Raises:
        ConfigError: ``MONITOR_LOG_LEVEL`` is not a level name.
    """
    level = logging.DEBUG if verbose else _level_from_environment()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries follow the root level only when DEBUG was asked for.
    library_level = level if level <= logging.DEBUG else max(level, logging.WARNING)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(library_level)
    return handler


def remove_handler(handler: logging.Handler) -> None:
    """Take ``handler`` off the root logger (a command that ran in-process is over)."""
    logging.getLogger().removeHandler(handler)


@contextmanager
def logging_for_command(verbose: bool) -> Iterator[logging.Handler]:
    """:func:`configure_logging` on standard error for the duration of one command."""
    handler = configure_logging(verbose)
    try:
        yield handler
    finally:
        handler.flush()
        remove_handler(handler)
