"""Sources that import exported files (JSONL, CSV) matching a path or glob under the config folder.

Each file is read whole (within the crawl size limit), parsed by the concrete source, and skipped on the
next cycle while its size and modification time are unchanged. A bad record is reported with its file
and line and quarantined; the rest of the file is imported.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field

from crawlers.fetch import Fetcher
from monitor.errors import FetchError
from monitor.ingestion.sources import CollectContext, Collected, Problem, SourceSpec
from monitor.records import Document, Platform, RawItem


class FileSourceSpec(SourceSpec):
    """Files matching ``path`` (a file or a glob, relative to the config folder unless absolute)."""

    path: str = Field(min_length=1)
    platform: Platform = Field(default=Platform.IMPORT, description="Used when a record has no 'platform'.")


class FileImportSource:
    """Collects every matching file; subclasses say how one file becomes documents."""

    def __init__(self, spec: FileSourceSpec) -> None:
        self._spec = spec
        self._fetcher = Fetcher(spec.id)

    @property
    def spec(self) -> FileSourceSpec:
        return self._spec

    def rewind(self) -> None:
        self._fetcher.validators.clear()

    def parse_file(self, raw: RawItem, display_name: str) -> tuple[list[Document], list[Problem]]:
        raise NotImplementedError  # each file format implements this

    def parse(self, raw: RawItem) -> Collected:
        parts = urlsplit(raw.url)
        display_name = unquote(parts.path) if parts.scheme == "file" else raw.url
        documents, problems = self.parse_file(raw, display_name)
        return Collected(documents=documents, raw_items=[raw], problems=problems)

    def _files(self, config_dir: Path) -> list[Path]:
        pattern = Path(self._spec.path)
        if pattern.is_absolute():
            return sorted(Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor))))
        return sorted(config_dir.glob(self._spec.path))

    async def collect(self, context: CollectContext) -> Collected:
        files = self._files(context.config_dir)
        if not files:
            location = str(context.config_dir / self._spec.path)
            return Collected(
                fetch_failed=True, problems=[Problem(self._spec.id, location, "no file matches this path")]
            )
        collected = Collected()
        failures = 0
        for path in files:
            try:
                raw = self._fetcher.read_file(path, context)
            except FetchError as exc:
                failures += 1
                collected.problems.append(Problem(self._spec.id, str(path), exc.message))
                continue
            if raw is None:
                continue
            collected.raw_items.append(raw)
            documents, problems = self.parse_file(raw, str(path))
            collected.documents.extend(documents)
            collected.problems.extend(problems)
        collected.fetch_failed = failures == len(files)
        collected.not_modified = not collected.raw_items and not failures
        return collected
