"""What a send attempt returns: a :class:`Receipt` on success, a :class:`ChannelError` on failure."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.errors import NotifyError

MAX_REPLY_CHARS = 500


def shorten(text: str, limit: int = MAX_REPLY_CHARS) -> str:
    """One line of at most ``limit`` characters, for the delivery log."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Receipt:
    """The remote side accepted the alert.

    Attributes:
        status: HTTP status, or the SMTP reply code to the end of DATA.
        reply: The server's answer, shortened (a message id, an SMTP queue id...).
    """

    status: int | None
    reply: str = ""


class ChannelError(NotifyError):
    """A send attempt failed.

    ``retryable`` says whether trying later can help (5xx, 429, 4xx SMTP replies, network trouble);
    ``retry_after`` is the wait the server asked for, in seconds, if it asked.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        reply: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status
        self.reply = shorten(reply)
        self.retry_after = retry_after
