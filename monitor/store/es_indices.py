"""Index layout on Elasticsearch: versioned monthly indices behind aliases.

* ``{prefix}-documents-v{N}-{YYYY.MM}``: the concrete index for one month of ``published_at`` and
  mapping version ``N`` (``_meta.version`` in ``configs/elasticsearch/documents.json``);
* ``{prefix}-documents-{YYYY.MM}``: the month's write alias — writers never name a concrete index;
* ``{prefix}-documents``: the read alias over every month (added by the index template).

Retention deletes whole old months; a mapping change is rolled out by :meth:`IndexLayout.reindex`, which
copies each month into a new-version index with the client's scan and bulk helpers and then moves the
aliases in one atomic request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers
from elasticsearch import exceptions as es_exceptions

from monitor.errors import ConfigError, StoreError

MAPPING_FILE = Path("elasticsearch") / "documents.json"
_MONTH = re.compile(r"^(\d{4})\.(\d{2})$")


@dataclass(frozen=True)
class MonthIndex:
    month: str  # "2026.10"
    index: str
    version: int
    documents: int
    size_bytes: int


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}.{moment.month:02d}"


def load_mapping(config_dir: Path) -> dict[str, Any]:
    path = config_dir / MAPPING_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("the Elasticsearch mapping file is missing", path=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", path=str(path), line=exc.lineno) from exc
    try:
        version = int(data["mappings"]["_meta"]["version"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError("expected an integer at mappings._meta.version", path=str(path)) from exc
    if version < 1:
        raise ConfigError("mappings._meta.version must be 1 or more", path=str(path))
    return {key: value for key, value in data.items() if not key.startswith("_")}


class IndexLayout:
    def __init__(
        self,
        client: Elasticsearch,
        prefix: str,
        mapping: dict[str, Any],
        shards: int | None = None,
        replicas: int | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.mapping = mapping
        self.version = int(mapping["mappings"]["_meta"]["version"])
        self.read_alias = f"{prefix}-documents"
        self._settings = dict(mapping.get("settings", {}))
        if shards is not None:
            self._settings["number_of_shards"] = shards
        if replicas is not None:
            self._settings["number_of_replicas"] = replicas
        self._write_targets: dict[str, str] = {}  # month -> concrete index (cache)

    def month_alias(self, month: str) -> str:
        return f"{self.prefix}-documents-{month}"

    def concrete(self, month: str, version: int | None = None) -> str:
        return f"{self.prefix}-documents-v{version or self.version}-{month}"

    def install_template(self) -> None:
        """Put the index template: mappings, settings and the read alias for every new index."""
        self.client.indices.put_index_template(
            name=f"{self.prefix}-documents",
            index_patterns=[f"{self.prefix}-documents-v*"],
            template={
                "settings": self._settings,
                "mappings": self.mapping["mappings"],
                "aliases": {self.read_alias: {}},
            },
            priority=100,
            meta={"managed_by": "dongnai-monitor"},
        )

    def ensure_month(self, month: str) -> str:
        """The concrete index that the month's write alias points to, creating both if needed."""
        cached = self._write_targets.get(month)
        if cached is not None:
            return cached
        alias = self.month_alias(month)
        try:
            resolved = self.client.indices.get_alias(name=alias)
            index = next(iter(resolved.body))
        except NotFoundError:
            self.install_template()
            index = self.concrete(month)
            try:
                self.client.indices.create(index=index, aliases={alias: {"is_write_index": True}})
            except es_exceptions.BadRequestError as exc:
                if exc.error != "resource_already_exists_exception":  # another worker created it first
                    raise
        self._write_targets[month] = str(index)
        return str(index)

    def forget_cache(self) -> None:
        self._write_targets.clear()

    def months(self) -> list[MonthIndex]:
        """Every month that has an index, with its document count and size."""
        try:
            rows = self.client.cat.indices(index=f"{self.prefix}-documents-v*", format="json", bytes="b")
        except NotFoundError:
            return []
        pattern = re.compile(rf"^{re.escape(self.prefix)}-documents-v(\d+)-(\d{{4}}\.\d{{2}})$")
        found = []
        table: list[dict[str, Any]] = list(rows.body) if isinstance(rows.body, list) else []
        for row in table:
            match = pattern.match(row["index"])
            if match:
                found.append(
                    MonthIndex(
                        month=match.group(2),
                        index=row["index"],
                        version=int(match.group(1)),
                        documents=int(row.get("docs.count") or 0),
                        size_bytes=int(row.get("store.size") or 0),
                    )
                )
        return sorted(found, key=lambda m: (m.month, m.version))

    def delete_months_before(self, first_kept: str) -> list[str]:
        """Delete every index of a month earlier than ``first_kept`` ("YYYY.MM"); return their names."""
        if not _MONTH.match(first_kept):
            raise StoreError(f"expected a month as YYYY.MM, got {first_kept!r}", retryable=False)
        doomed = [m.index for m in self.months() if m.month < first_kept]
        for index in doomed:
            self.client.indices.delete(index=index)
        self.forget_cache()
        return doomed

    def reindex(
        self,
        rebuild_source: Callable[[dict[str, Any]], dict[str, Any]],
        progress: Callable[[str], None] | None = None,
        keep_old: bool = False,
    ) -> list[tuple[str, str]]:
        """Copy every month not on the current mapping version into a new index and swap its aliases.

        ``rebuild_source`` recomputes an indexed document from its stored ``body``, so changes in how
        fields are derived take effect too. Returns (old index, new index) pairs.
        """
        self.install_template()
        moved = []
        for month_index in self.months():
            if month_index.version == self.version:
                continue
            old, new = month_index.index, self.concrete(month_index.month)
            self.client.indices.create(index=new)
            actions = (
                {"_index": new, "_id": hit["_id"], "_source": rebuild_source(hit["_source"])}
                for hit in helpers.scan(self.client, index=old, query={"query": {"match_all": {}}})
            )
            copied, errors = helpers.bulk(self.client, actions, chunk_size=1000, raise_on_error=False)
            if isinstance(errors, list) and errors:
                raise StoreError(f"reindex of {old} into {new} failed for {len(errors)} documents: {errors[:3]}")
            self.client.indices.refresh(index=new)
            alias = self.month_alias(month_index.month)
            self.client.indices.update_aliases(
                actions=[
                    {"remove": {"index": old, "alias": alias}},
                    {"remove": {"index": old, "alias": self.read_alias}},
                    {"add": {"index": new, "alias": alias, "is_write_index": True}},
                ]
            )
            if not keep_old:
                self.client.indices.delete(index=old)
            moved.append((old, new))
            if progress is not None:
                progress(f"{old} → {new}: {copied} documents")
        self.forget_cache()
        return moved
