"""One exception tree for the whole product.

Every failure the product raises on purpose is a :class:`MonitorError`. Subclasses say *what* failed
(fetch, parse, config, store, model, notify); the ``retryable`` flag says whether trying again later can
help, so schedulers decide between retry and quarantine without string matching.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Root of all errors raised by the monitor on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retryable is not None:
            self.retryable = retryable


class ConfigError(MonitorError):
    """A configuration file or environment variable is invalid.

    The message always names the file (or variable), the key and what was expected.
    """

    def __init__(
        self, message: str, *, path: str | None = None, key: str | None = None, line: int | None = None
    ) -> None:
        where = []
        if path:
            where.append(f"{path}:{line}" if line else path)
        if key:
            where.append(f"key '{key}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.path = path
        self.key = key
        self.line = line


class FetchError(MonitorError):
    """Fetching a URL or file failed. Network trouble and 5xx are retryable; 4xx are not."""

    retryable = True


class ParseError(MonitorError):
    """Fetched content could not be turned into documents (malformed feed, broken JSON line...)."""


class StoreError(MonitorError):
    """The document or state store failed."""

    retryable = True


class StoreBusyError(StoreError):
    """Another connection holds the database's write lock longer than this caller may wait; retry later."""

    retryable = True


class NotFoundError(MonitorError):
    """A requested object (document, alert, key, source) does not exist (the API answers 404)."""


class InvalidInputError(MonitorError):
    """A value a person gave is refused: a blank comment, an unknown agency, a missing purpose.

    The API answers 422 and the command line exits with 2. ``parameter`` names the request field at fault
    when the message itself does not (the API then prefixes ``parameter '<name>': ``).
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class ConflictError(MonitorError):
    """The object's current state does not allow the change (the API answers 409)."""


class QueryError(MonitorError):
    """A search query is invalid; ``position`` points at the offending character (0-based)."""

    def __init__(self, message: str, *, query: str, position: int) -> None:
        # A window of the query around the fault, so a huge query is never echoed whole.
        start = max(0, position - 60)
        excerpt = ("…" if start else "") + query[start : position + 60] + ("…" if len(query) > position + 60 else "")
        pointer = f"{excerpt}\n{' ' * (position - start + (1 if start else 0))}^"
        super().__init__(f"{message} at position {position}:\n{pointer}")
        self.query = query
        self.position = position
        self.reason = message


class ModelError(MonitorError):
    """A scorer or model could not be loaded or failed to score."""


class NotifyError(MonitorError):
    """Delivering an alert through a channel failed."""

    retryable = True


class AuthError(MonitorError):
    """An API key is missing, unknown, revoked, or lacks the needed role."""


class ForbiddenError(AuthError):
    """The key is valid but its role or agency may not do this (the API answers 403)."""
