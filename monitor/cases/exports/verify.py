"""Check a police evidence package: every file against ``manifest.sha256``, and evidence against case.json.

The manifest proves the package is as it was written; ``case.json`` also holds the sha256 each evidence file
had when it was *attached*, so an evidence file changed together with its manifest line is still named.
(Someone who rewrites case.json too is caught only against the office's own records: the custody log and
the evidence hashes in its database.)

A package comes back from outside the office, so the ZIP itself is not trusted: a name that is absolute or
climbs out with ``..``, a name stored twice (which copy would a reader open?), a missing ``case.json`` or
manifest, or a manifest or ``case.json`` larger than any real package's is refused with the reason before
anything is hashed; members are hashed a block at a time, and nothing is read whole beyond those caps.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from monitor.cases.exports.package import BLOCK, CASE_FILE, MANIFEST_FILE

MAX_MANIFEST_BYTES = 16 << 20  # ~150,000 lines: far more evidence files than any case has
MAX_CASE_BYTES = 64 << 20  # case.json: the case, its evidence list and custody entries

# sha256sum's output: the hex digest, a space, then " " (text) or "*" (binary) mode, then the name.
_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def _digest(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as entry:
        while block := entry.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def unsafe_name(name: str) -> str | None:
    """Why a member name must not be in a package (absolute, ``..``, a drive, NUL), or None if it is fine."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    if ".." in parts:
        return "a '..' component that leads out of the package"
    if "\0" in name:
        return "a NUL character"
    return None


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, problems: list[str]) -> bytes | None:
    """The member's bytes if it has at most ``cap`` of them; else a problem, having read at most ``cap + 1``."""
    refused = f"{info.filename}: larger than the {cap:,} bytes a package's {info.filename} may have; not read"
    if info.file_size > cap:
        problems.append(f"{refused} (it declares {info.file_size:,})")
        return None
    try:
        with archive.open(info) as entry:
            data = entry.read(cap + 1)  # the declared size may lie: never read past the cap
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"changed: {info.filename} (unreadable: {exc})")
        return None
    if len(data) > cap:
        problems.append(refused)
        return None
    return data


def _manifest(archive: zipfile.ZipFile, problems: list[str]) -> dict[str, str] | None:
    """Package path → sha256 from the manifest; None (with the problem) if it cannot be read."""
    expected: dict[str, str] = {}
    data = _read_capped(archive, archive.getinfo(MANIFEST_FILE), MAX_MANIFEST_BYTES, problems)
    if data is None:
        return None
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        match = _LINE.match(line)
        if match is None:
            problems.append(f"{MANIFEST_FILE}: line {number} is not 'SHA256  NAME': {line[:80]!r}")
            continue
        name = match.group(2)
        if name in expected:
            problems.append(f"{MANIFEST_FILE}: line {number} lists {name!r} a second time")
        expected[name] = match.group(1).lower()
    return expected


def _structure(infos: list[zipfile.ZipInfo]) -> list[str]:
    """What makes the ZIP itself unacceptable: unsafe or repeated names, a missing manifest or case.json."""
    problems = []
    counts: dict[str, int] = {}
    for info in infos:
        counts[info.filename] = counts.get(info.filename, 0) + 1
        reason = unsafe_name(info.filename)
        if reason is not None:
            problems.append(f"unsafe name: {info.filename!r} ({reason}); the package is refused")
    problems.extend(f"duplicate: {name} ({n} entries with this name)" for name, n in counts.items() if n > 1)
    for required in (MANIFEST_FILE, CASE_FILE):
        if required not in counts:
            what = "nothing to check the package against" if required == MANIFEST_FILE else "no case record"
            problems.append(f"missing: {required} ({what})")
    return problems


def _attached_hashes(archive: zipfile.ZipFile, problems: list[str]) -> dict[str, str]:
    """Package path → sha256 at attach time, from case.json (empty if case.json is unreadable)."""
    data = _read_capped(archive, archive.getinfo(CASE_FILE), MAX_CASE_BYTES, problems)
    if data is None:
        return {}
    try:
        case: Any = json.loads(data)
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
        keeps the package from being checked at all (not a ZIP; an unsafe or repeated name; no manifest or
        case.json; a manifest or case.json over its size cap).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable ZIP archive ({exc})"]
    problems: list[str] = []
    with archive:
        infos = archive.infolist()
        structural = _structure(infos)
        if structural:  # an entry cannot be trusted to be the one the manifest means: check nothing further
            return structural
        names = [info.filename for info in infos if not info.is_dir()]
        expected = _manifest(archive, problems)
        if expected is None:  # nothing to check the members against
            return problems
        present = set(names)
        attached = _attached_hashes(archive, problems)
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
