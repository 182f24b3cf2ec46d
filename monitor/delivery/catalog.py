"""The channel types: each one's spec (an entry of ``configs/channels.yaml``) and the sender that uses it.

This table is the one place that lists them. A new channel type is one module (its spec class, with a
``type`` literal, and its sender; see :mod:`monitor.delivery.telegram`) plus one line in :data:`BUILT_IN`:
loading ``channels.yaml`` and the dispatcher both read this table.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from monitor.config.catalog import spec_class_of, types_by_name
from monitor.delivery.channels import Channel, ChannelSpec, EmailChannelSpec, TelegramChannelSpec, WebhookChannelSpec
from monitor.delivery.senders import Sender
from monitor.delivery.smtp import EmailSender
from monitor.delivery.telegram import TelegramSender
from monitor.delivery.webhook import WebhookSender
from monitor.errors import ConfigError

# A sender for one configured channel; ``zone`` is the install's time zone, for times in messages.
SenderFactory = Callable[[Channel, ZoneInfo], Sender]


# One line per channel type: its spec class (whose ``type`` literal names it) and its sender.
BUILT_IN: dict[type[ChannelSpec], SenderFactory] = {
    WebhookChannelSpec: lambda channel, _zone: WebhookSender(channel),  # its JSON body needs no time zone
    EmailChannelSpec: EmailSender,
    TelegramChannelSpec: TelegramSender,
}

CHANNEL_TYPES: dict[str, type[ChannelSpec]] = types_by_name(BUILT_IN)
"""Channel ``type`` → its spec class."""


def channel_spec_class(name: str) -> type[ChannelSpec]:
    """The spec class for a channel ``type``, or a ConfigError listing the known types."""
    return spec_class_of(CHANNEL_TYPES, "channel", name)


def build_sender(channel: Channel, zone: ZoneInfo) -> Sender:
    """The sender for ``channel``'s type."""
    try:
        factory = BUILT_IN[type(channel.spec)]
    except KeyError:
        raise ConfigError(f"no sender for channel type '{channel.spec.type}'") from None
    return factory(channel, zone)
