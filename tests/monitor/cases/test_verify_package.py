"""`monitor evidence verify` on hostile ZIPs: unsafe names, duplicates, missing files, huge manifests."""

from __future__ import annotations

import hashlib
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from monitor.cases import CaseOpen
from monitor.cases.exports import Requester, verify_package, write_police_package
from monitor.cases.exports.verify import MAX_MANIFEST_BYTES
from tests.monitor.cases.helpers import ADMIN, OFFICER, build_world, rumour, store_with_raw

CLIMBS = "a '..' component that leads out of the package"
ABSOLUTE = "an absolute path"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    world = build_world(tmp_path)
    document = rumour("v1")
    store_with_raw(world, document)
    case, _ = world.cases.open_case(CaseOpen(title="Tin đồn nước nhiễm độc", doc_ids=(document.doc_id,)), OFFICER)
    world.cases.store.share(case.case_id, "police", OFFICER)
    path = tmp_path / "pkg.zip"
    write_police_package(world.cases, case.case_id, Requester(by=ADMIN, purpose="Điều tra", agency="police"), path)
    assert verify_package(path) == []
    return path


def _entries(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _write(path: Path, entries: list[tuple[str, bytes]], *, manifest: bool = True) -> None:
    """Write ``entries`` with a manifest that matches them (a forger's best effort)."""
    body = [(name, data) for name, data in entries if name != "manifest.sha256"]
    if manifest:
        lines = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in body)
        body.append(("manifest.sha256", lines.encode()))
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in body:
            archive.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps the name exactly as given


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../home/canbo/.bashrc", CLIMBS),
        ("evidence/../../x.txt", CLIMBS),
        ("/etc/cron.d/monitor", ABSOLUTE),
        ("C:/Windows/x.txt", ABSOLUTE),
        ("..\\x.txt", CLIMBS),
    ],
)
def test_unsafe_names_are_refused_even_when_listed_in_the_manifest(package: Path, name: str, reason: str) -> None:
    _write(package, [*_entries(package), (name, b"noi dung")])
    problems = verify_package(package)
    assert problems == [f"unsafe name: {name!r} ({reason}); the package is refused"]


def test_a_package_without_case_json_is_refused(package: Path) -> None:
    _write(package, [(n, d) for n, d in _entries(package) if n != "case.json"])
    assert verify_package(package) == ["missing: case.json (no case record)"]


def test_a_package_without_manifest_is_refused(package: Path) -> None:
    _write(package, _entries(package), manifest=False)
    assert verify_package(package) == ["missing: manifest.sha256 (nothing to check the package against)"]


def test_a_name_stored_twice_is_refused(package: Path) -> None:
    entries = _entries(package)
    with pytest.warns(UserWarning, match="Duplicate name"):
        _write(package, [*entries, ("documents.jsonl", b'{"forged": true}\n')])
    assert verify_package(package) == ["duplicate: documents.jsonl (2 entries with this name)"]


def test_a_member_missing_from_the_manifest_is_named(package: Path) -> None:
    entries = _entries(package)
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr("evidence/them.txt", b"them vao")
    assert verify_package(package) == ["unexpected: evidence/them.txt (not in manifest.sha256)"]
    assert entries


def test_a_huge_manifest_is_refused_without_reading_it(package: Path) -> None:
    entries = [(n, d) for n, d in _entries(package) if n != "manifest.sha256"]
    huge = MAX_MANIFEST_BYTES * 4  # 64 MiB of zeros: a few KB compressed
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
        with archive.open("manifest.sha256", "w", force_zip64=True) as entry:
            block = b"0" * (1 << 20)
            for _ in range(huge // len(block)):
                entry.write(block)
    tracemalloc.start()
    try:
        problems = verify_package(package)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problems == [
        f"manifest.sha256: larger than the {MAX_MANIFEST_BYTES:,} bytes a package's manifest.sha256 may have; "
        f"not read (it declares {huge:,})"
    ]
    assert peak < 4 << 20  # nowhere near the manifest's size


def test_the_command_reports_the_reason(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.cli import main

    _write(package, [*_entries(package), ("../evil.sh", b"rm -rf ~")])
    assert main(["evidence", "verify", str(package)]) == 1
    captured = capsys.readouterr()
    assert "unsafe name: '../evil.sh'" in captured.err
    assert "intact" not in captured.out + captured.err
