"""``monitor export dataset``: a Parquet file with every document, authors pseudonymized."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest

from monitor.access.privacy import PrivacyPolicy, Pseudonymizer
from monitor.analytics.dataset_export import export_dataset
from monitor.analytics.research import COLUMNS
from monitor.cli import main
from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport
from monitor.store.base import DocumentFilter, SearchRequest

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def test_export_writes_every_document_without_real_authors(
    sample_run: tuple[Monitor, CycleReport], tmp_path: Path
) -> None:
    monitor, _ = sample_run
    out = tmp_path / "out" / "dataset.parquet"
    lines: list[str] = []
    written = export_dataset(monitor, out, progress=lines.append)

    assert written == monitor.store.count(DocumentFilter()) == 204
    assert lines[-1].startswith("done: 204 documents")
    assert not list(out.parent.glob(".*partial"))
    table = pq.read_table(out)
    assert table.num_rows == 204
    assert table.column_names == list(COLUMNS)
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=Asia/Ho_Chi_Minh]"
    assert len(set(table.column("doc_id").to_pylist())) == 204

    authors = {
        item.document.author for item in monitor.store.search(SearchRequest(limit=500)).items if item.document.author
    }
    assert authors
    policy = PrivacyPolicy(Pseudonymizer(b"k"))
    authors = {name for name in authors if not policy.is_public(name)}  # institutions keep their names
    shown = table.column("author").drop_null().to_pylist()
    assert all(author.startswith("anon-") or policy.is_public(author) for author in shown)
    # No private author's name anywhere in the file: not as a value, not as an @mention, not in the raw bytes.
    cells = [str(value) for column in table.itercolumns() for value in column.to_pylist() if value is not None]
    assert not [name for name in authors if name in set(cells) or any(f"@{name}" in cell for cell in cells)]
    raw = out.read_bytes()
    assert not [name for name in authors if name.encode("utf-8") in raw and len(name) > 12]


def test_export_respects_the_time_window_and_writes_row_groups(
    sample_run: tuple[Monitor, CycleReport], tmp_path: Path
) -> None:
    monitor, _ = sample_run
    since, until = datetime(2026, 11, 3, tzinfo=LOCAL), datetime(2026, 11, 10, tzinfo=LOCAL)
    out = tmp_path / "window.parquet"
    written = export_dataset(monitor, out, since=since, until=until)
    assert written == monitor.store.count(DocumentFilter(since=since, until=until)) > 0
    published = pq.read_table(out).column("published_at").to_pylist()
    assert all(since <= value < until for value in published)
    assert pq.ParquetFile(out).metadata.num_row_groups >= 1


def test_an_empty_export_is_a_valid_file(sample_run: tuple[Monitor, CycleReport], tmp_path: Path) -> None:
    monitor, _ = sample_run
    out = tmp_path / "empty.parquet"
    assert export_dataset(monitor, out, since=datetime(2030, 1, 1, tzinfo=LOCAL)) == 0
    assert pq.read_table(out).num_rows == 0


def test_export_dataset_command_writes_the_file(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config-dir", str(config_dir), "crawl", "--once"]) == 0
    out = tmp_path / "dataset.parquet"
    since = "2026-10-01T00:00:00+07:00"
    assert main(["--config-dir", str(config_dir), "export", "dataset", str(out), "--since", since]) == 0
    assert "documents written to" in capsys.readouterr().out
    assert pq.read_table(out).num_rows > 100
    with pytest.raises(SystemExit) as refused:  # a time without its zone would shift the cut by hours
        main(["--config-dir", str(config_dir), "export", "dataset", str(out), "--since", "2026-10-01"])
    assert refused.value.code == 2
    assert "has no time zone offset" in capsys.readouterr().err
