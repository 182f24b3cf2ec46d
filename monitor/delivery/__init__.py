"""Alert delivery: webhook, e-mail and Telegram channels with a persistent outbox, retries and a log.

Wiring: load ``configs/channels.yaml`` with :func:`load_channels`, build one :class:`Dispatcher` over the
service database, call :meth:`Dispatcher.enqueue` after the rules record alerts and run
:meth:`Dispatcher.run_forever` in the service. Nothing here runs on import.
"""

from monitor.delivery.channels import (
    AlertRoute,
    Channel,
    ChannelSpec,
    EmailChannelSpec,
    RetryPolicy,
    TelegramChannelSpec,
    WebhookChannelSpec,
)
from monitor.delivery.config import CHANNELS_FILE, ChannelsConfig, load_channels
from monitor.delivery.dispatcher import ChannelReport, DeliveryReport, Dispatcher
from monitor.delivery.errors import ChannelError, Receipt
from monitor.delivery.outbox import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState

__all__ = [
    "CHANNELS_FILE",
    "AlertRoute",
    "AttemptOutcome",
    "Channel",
    "ChannelError",
    "ChannelReport",
    "ChannelSpec",
    "ChannelsConfig",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryReport",
    "DeliveryState",
    "Dispatcher",
    "EmailChannelSpec",
    "Receipt",
    "RetryPolicy",
    "TelegramChannelSpec",
    "WebhookChannelSpec",
    "load_channels",
]
