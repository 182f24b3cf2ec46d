"""Data files are their owner's alone: database (with -wal/-shm), archive, spool, evidence, exports."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cases import CaseOpen
from monitor.cases.exports import Requester, write_police_package
from monitor.store.base import SearchRequest
from monitor.store.spool import Spool
from tests.conftest import crawl, make_config_dir, open_monitor
from tests.monitor.cases.helpers import ADMIN, OFFICER


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The common default umask (group and others may read), restored afterwards."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _open_to_others(root: Path) -> list[str]:
    """Every file or folder under ``root`` (itself excluded) that a group member or other user may use."""
    return [
        f"{path.relative_to(root)} {stat.S_IMODE(path.lstat().st_mode):o}"
        for path in root.rglob("*")
        if stat.S_IMODE(path.lstat().st_mode) & 0o077
    ]


def test_the_service_writes_owner_only_files_whatever_the_umask(tmp_path: Path, lax_umask: None) -> None:
    monitor = open_monitor(make_config_dir(tmp_path / "configs"))
    try:
        crawl(monitor)  # the database, its WAL and shared memory, the raw archive's WARC files
        data_dir = monitor.settings.data_dir
        item = monitor.store.search(SearchRequest(limit=1)).items[0]
        Spool(data_dir / "spool").append([item])
        case, _ = monitor.cases.open_case(CaseOpen(title="Tin đồn", doc_ids=(item.doc_id,)), OFFICER)  # evidence
        monitor.cases.store.share(case.case_id, "police", OFFICER)
        package = data_dir / "exports" / "police.zip"
        package.parent.mkdir()
        package.parent.chmod(0o700)
        requester = Requester(by=ADMIN, purpose="Điều tra", agency="police")
        write_police_package(monitor.cases, case.case_id, requester, package)
        # While the database is open: its -wal and -shm files exist (closing removes them).
        assert {"monitor.sqlite3", "monitor.sqlite3-wal", "monitor.sqlite3-shm"} <= {p.name for p in data_dir.iterdir()}
        assert list(data_dir.rglob("*.warc.gz"))
        assert list((data_dir / "spool").glob("*.jsonl"))
        assert list((data_dir / "evidence").rglob("*.json"))
        assert package.exists()
        assert _open_to_others(data_dir) == []
    finally:
        monitor.close()


def test_the_command_line_exports_owner_only_files(tmp_path: Path, lax_umask: None) -> None:
    from monitor.cli import main

    config_dir = make_config_dir(tmp_path / "configs")
    assert main(["--config-dir", str(config_dir), "crawl", "--once"]) == 0
    out = tmp_path / "out"
    out.mkdir(mode=0o700)  # an export's folder must exist (the CLI names a missing one); what it writes is checked
    assert main(["--config-dir", str(config_dir), "export", "dataset", str(out / "all.parquet")]) == 0
    reports = out / "reports"
    args = ["--config-dir", str(config_dir), "report", "daily", "--end", "2026-11-09", "--out", str(reports)]
    assert main([*args, "--format", "html"]) == 0
    assert (out / "all.parquet").exists()
    assert list(reports.glob("*.html"))
    assert _open_to_others(out) == []
    assert _open_to_others(tmp_path / "configs" / "var") == []
