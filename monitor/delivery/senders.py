"""The sender contract, the back-off between attempts, and the sender for each channel type."""

from __future__ import annotations

import random
from typing import Protocol

import httpx

from monitor.delivery.channels import RetryPolicy
from monitor.delivery.errors import Receipt
from monitor.delivery.message import Envelope


class Sender(Protocol):
    """Delivers one envelope through one channel; raises ChannelError on failure."""

    async def send(self, envelope: Envelope, client: httpx.AsyncClient) -> Receipt: ...


def backoff_seconds(policy: RetryPolicy, failures: int, rng: random.Random, retry_after: float | None) -> float:
    """Seconds to wait after the ``failures``-th failed attempt.

    Exponential from ``initial_delay``, capped at ``max_delay``, with "equal jitter" (between half and all
    of the step) so channels that failed together do not retry in lockstep. A server's Retry-After is a
    floor, itself capped at ``max_retry_after`` so a hostile or broken server cannot park an alert forever.
    """
    step = min(float(policy.max_delay), policy.initial_delay * 2.0 ** max(0, failures - 1))
    delay = step / 2 + rng.random() * step / 2
    if retry_after is not None:
        delay = max(delay, min(retry_after, float(policy.max_retry_after)))
    return delay
