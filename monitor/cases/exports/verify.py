"""Check a police evidence package: every file against ``manifest.sha256``, and evidence against case.json.

The manifest proves the package is as it was written; ``case.json`` also holds the sha256 each evidence file
had when it was *attached*, so an evidence file changed together with its manifest line is still named.
(Someone who rewrites case.json too is caught only against the office's own records: the custody log and
the evidence hashes in its database.)
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from monitor.cases.exports.package import BLOCK, CASE_FILE, MANIFEST_FILE

# sha256sum's output: the hex digest, a space, then " " (text) or "*" (binary) mode, then the name.
_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def _digest(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as entry:
        while block := entry.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _manifest(archive: zipfile.ZipFile, problems: list[str]) -> dict[str, str]:
    expected: dict[str, str] = {}
    text = archive.read(MANIFEST_FILE).decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        match = _LINE.match(line)
        if match is None:
            problems.append(f"{MANIFEST_FILE}: line {number} is not 'SHA256  NAME': {line[:80]!r}")
            continue
        expected[match.group(2)] = match.group(1).lower()
    return expected


def _attached_hashes(archive: zipfile.ZipFile, problems: list[str]) -> dict[str, str]:
    """Package path → sha256 at attach time, from case.json (empty if case.json is unreadable)."""
    try:
        case: Any = json.loads(archive.read(CASE_FILE))
        return {f["path"]: f["sha256"] for e in case["evidence"] for f in e["files"]}
    except (KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        problems.append(f"{CASE_FILE}: cannot read the evidence list ({exc})")
        return {}


def verify_package(path: Path) -> list[str]:
    """The problems of the package at ``path``, each naming its file; an empty list means intact.

    Args:
        path: A ZIP written by :func:`~monitor.cases.exports.package.write_police_package`.

    Returns:
        One message per problem: ``changed: NAME (...)``, ``missing: NAME``, ``unexpected: NAME``, or what
        keeps the package from being checked at all (not a ZIP, no manifest).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable ZIP archive ({exc})"]
    problems: list[str] = []
    with archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
        if MANIFEST_FILE not in names:
            return [f"missing: {MANIFEST_FILE} (nothing to check the package against)"]
        expected = _manifest(archive, problems)
        present = set(names)
        attached = _attached_hashes(archive, problems) if CASE_FILE in present else {}
        for name, digest in expected.items():
            if name not in present:
                problems.append(f"missing: {name}")
                continue
            try:
                actual = _digest(archive, name)
            except (zipfile.BadZipFile, OSError) as exc:  # a CRC error: bytes changed inside the archive
                problems.append(f"changed: {name} (unreadable: {exc})")
                continue
            if actual != digest:
                problems.append(f"changed: {name} (sha256 in manifest {digest}, found {actual})")
            elif name in attached and attached[name] != actual:
                problems.append(f"changed: {name} (sha256 at attach time {attached[name]}, found {actual})")
        for name in names:
            if name != MANIFEST_FILE and name not in expected:
                problems.append(f"unexpected: {name} (not in {MANIFEST_FILE})")
        for name in attached:
            if name not in expected and name not in present:
                problems.append(f"missing: {name} (listed in {CASE_FILE})")
    return problems
