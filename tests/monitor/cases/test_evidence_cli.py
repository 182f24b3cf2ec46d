"""`monitor evidence verify` on a real police package: intact, then tampered (the file is named)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from monitor.access.audit import Actor
from monitor.cases.exports import Requester, write_police_package
from monitor.cases.model import CaseOpen
from monitor.cli import main
from monitor.context import Monitor
from tests.factories import analyzed, at


def test_evidence_verify_command(monitor: Monitor, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = analyzed("Nghe nói nước máy Thiện Tân nhiễm độc!!!", post_id="1", published=at("2026-11-03 08:00"))
    monitor.store.upsert([post])
    officer = Actor(name="officer key", key_id="k1")
    case, _ = monitor.cases.open_case(CaseOpen(title="Tin sai nước máy", doc_ids=(post.doc_id,)), officer)
    package = tmp_path / "case.zip"
    write_police_package(monitor.cases, case.case_id, Requester(officer, "Chuyển công an điều tra"), package)
    assert main(["evidence", "verify", str(package)]) == 0
    assert "intact" in capsys.readouterr().out

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(
                item, data.replace("nhiễm độc".encode(), b"an toan") if item.filename == "documents.jsonl" else data
            )
    assert main(["evidence", "verify", str(tampered)]) == 1
    captured = capsys.readouterr()
    assert "documents.jsonl" in captured.err
    assert "not as exported" in captured.out
