"""``monitor config check``: everything the service reads, validated now rather than when first used.

:func:`monitor.context.build_monitor` already loads what start-up needs (settings, sources, rules,
channels, cases, claims, holidays, the analyzer with topics, gazetteer and models). The rest is read
later by the running service: campaigns (campaign reports) and the channels reports are mailed to.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.analytics.campaigns import load_campaigns
from monitor.config.settings import SETTINGS_FILE
from monitor.context import Monitor
from monitor.delivery.channels import EmailChannelSpec
from monitor.errors import ConfigError


@dataclass(frozen=True)
class CheckedLater:
    """What the check loaded beyond start-up, for its summary line."""

    campaigns: int
    report_channels: int


def check_configuration(monitor: Monitor) -> CheckedLater:
    """Load and validate the configuration the service reads after start-up.

    Raises:
        ConfigError: naming the file, line and key at fault.
    """
    settings = monitor.settings
    campaigns = load_campaigns(settings.config_dir)
    email = {c.id for c in monitor.delivery.config.channels if isinstance(c.spec, EmailChannelSpec)}
    wrong = [channel for channel in settings.reports.email_channels if channel not in email]
    if wrong:
        known = ", ".join(sorted(email)) or "none"
        raise ConfigError(
            f"{', '.join(wrong)}: not e-mail channels in channels.yaml (e-mail channels: {known})",
            path=str(settings.config_dir / SETTINGS_FILE),
            key="reports.email_channels",
        )
    return CheckedLater(campaigns=len(campaigns), report_channels=len(settings.reports.email_channels))
