"""A durable on-disk spool of analysed documents waiting for a store that is down.

Each batch is one JSONL file, written to a temporary name, fsynced and renamed, so a crash leaves either
the whole batch or nothing. Files are replayed oldest first, so the store sees writes in their original
order; since upserts are idempotent by ``doc_id``, a batch replayed twice (a crash between the write and
the delete) is stored once.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from monitor.analysis import AnalyzedDocument
from monitor.errors import StoreError
from monitor.files import open_private_text, private_dir


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._sequence = 0
        try:
            private_dir(directory)
        except OSError as exc:
            raise StoreError(f"cannot create the spool folder {directory}: {exc}", retryable=False) from exc

    def append(self, items: Sequence[AnalyzedDocument]) -> Path:
        """Write one batch durably; return its file."""
        with self._lock:
            self._sequence += 1
            name = f"{time.time_ns():020d}-{os.getpid()}-{self._sequence:06d}.jsonl"
        final = self.directory / name
        temporary = self.directory / f".{name}.tmp"
        try:
            with open_private_text(temporary) as handle:
                for item in items:
                    handle.write(item.model_dump_json())
                    handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            temporary.rename(final)
            directory_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory_fd)
            finally:
                os.close(directory_fd)
        except OSError as exc:
            raise StoreError(f"cannot spool {len(items)} documents to {final}: {exc}", retryable=False) from exc
        return final

    def pending(self) -> list[Path]:
        """Spooled batch files, oldest first."""
        return sorted(path for path in self.directory.glob("*.jsonl") if not path.name.startswith("."))

    @staticmethod
    def load(path: Path) -> list[AnalyzedDocument]:
        with path.open(encoding="utf-8") as handle:
            return [AnalyzedDocument.model_validate_json(line) for line in handle if line.strip()]

    @staticmethod
    def remove(path: Path) -> None:
        path.unlink(missing_ok=True)

    def count_documents(self) -> int:
        total = 0
        for path in self.pending():
            with path.open(encoding="utf-8") as handle:
                total += sum(1 for line in handle if line.strip())
        return total
