"""What the ``monitor models`` commands share on the command line: progress lines and share arguments."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def progress(message: str) -> None:
    """A status line on standard error (standard output carries the command's result)."""
    print(message, file=sys.stderr, flush=True)


def share_argument(upper: float, example: str) -> Callable[[str], float]:
    """An argparse type for a share strictly between 0 and ``upper`` (e.g. a held-out fraction)."""

    def share(value: str) -> float:
        try:
            parsed = float(value)
        except ValueError:
            parsed = -1.0
        if not 0.0 < parsed < upper:
            raise argparse.ArgumentTypeError(
                f"expected a share between 0 and {upper:g}, e.g. {example} (got {value!r})"
            )
        return parsed

    return share
