"""``monitor index ...``: Elasticsearch index upkeep (template, month indices, reindexing, retention)."""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from typing import Any

from monitor.cli_common import progress, say
from monitor.config.settings import load_settings
from monitor.errors import ConfigError
from monitor.records import utc_now
from monitor.store.elasticsearch import rebuild_source
from monitor.store.es_indices import month_of
from monitor.store.factory import SPOOL_FOLDER, elasticsearch_layout
from monitor.store.spool import Spool


def months(value: str) -> int:
    """argparse type: a retention period in months, written ``18m`` or ``2y``."""
    match = re.fullmatch(r"\s*(\d+)\s*([my])\s*", value)
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"expected a number of months or years such as 18m or 2y, got {value!r}")
    return int(match.group(1)) * (12 if match.group(2) == "y" else 1)


def first_kept_month(now: datetime, keep_months: int) -> str:
    """The oldest month kept when keeping ``keep_months`` months including the current one."""
    index = now.year * 12 + (now.month - 1) - (keep_months - 1)
    return f"{index // 12:04d}.{index % 12 + 1:02d}"


def cmd_index(args: argparse.Namespace) -> int:
    settings = load_settings(args.config_dir)
    if settings.storage.backend != "elasticsearch":
        raise ConfigError(
            "storage.backend is not 'elasticsearch': the 'index' commands manage Elasticsearch "
            "indices (set MONITOR_STORAGE__BACKEND=elasticsearch)"
        )
    layout = elasticsearch_layout(settings)
    try:
        if args.index_command == "init":
            layout.install_template()
            month = layout.ensure_month(month_of(utc_now()))
            say(f"Template installed (mapping version {layout.version}); current month index: {month}")
        elif args.index_command == "status":
            found = layout.months()
            for m in found:
                say(f"{m.month}  {m.index:<40} v{m.version}  {m.documents:>9} docs  {m.size_bytes / 1e6:>9.1f} MB")
            spool = Spool(settings.data_dir / SPOOL_FOLDER)
            say(
                f"{len(found)} month indices; read alias {layout.read_alias}; mapping version {layout.version}; "
                f"{spool.count_documents()} documents waiting in the spool"
            )
        elif args.index_command == "reindex":
            moved = layout.reindex(rebuild_source, progress, keep_old=args.keep_old)
            say(f"Reindexed {len(moved)} month indices to mapping version {layout.version}")
        else:
            first = first_kept_month(utc_now(), args.keep)
            deleted = layout.delete_months_before(first)
            say(
                f"Kept months from {first}; deleted {len(deleted)} indices"
                + (f": {', '.join(deleted)}" if deleted else "")
            )
        return 0
    finally:
        layout.client.close()


def add_index_commands(commands: Any) -> None:
    """Install ``monitor index init|status|reindex|retention``."""
    index = commands.add_parser("index", help="manage Elasticsearch indices (storage.backend: elasticsearch)")
    index_commands = index.add_subparsers(dest="index_command", required=True)
    index_commands.add_parser("init", help="install the index template and this month's index")
    index_commands.add_parser("status", help="month indices, document counts, sizes, spooled documents")
    reindex = index_commands.add_parser("reindex", help="move months to the current mapping version")
    reindex.add_argument("--keep-old", action="store_true", help="keep the old indices after the swap")
    retention = index_commands.add_parser("retention", help="delete months older than --keep")
    retention.add_argument("--keep", type=months, required=True, help="how much to keep, e.g. 18m or 2y")
    index.set_defaults(handler=cmd_index)
