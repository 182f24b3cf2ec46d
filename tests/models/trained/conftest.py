"""Fixtures shared by the trained-model tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def few_torch_threads() -> Iterator[None]:
    """One torch thread for a module's tests.

    Matrices this small gain nothing from intra-op threads, and on a busy 2-core machine their spin-waits
    made a fit 40x slower (25 s instead of 0.6 s). Results are the same with any thread count.
    """
    import torch  # only the modules that ask for it load torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
