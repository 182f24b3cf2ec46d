"""Files the service writes are its owner's alone: one place for the modes of data files and folders.

The data folder holds what people published and what the office made of it (the database with its
WAL and shared-memory files, the raw archive, the evidence locker, the spool, reports and exports), so
no other local user may read it. The command line (and so the service it starts) runs with a umask of
``077`` (:func:`restrict_umask`); the places that create data files also give explicit modes
(:func:`private_dir`, :func:`private_file`, :func:`open_private`), so a library user with a lax umask
gets the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Literal, TextIO, cast

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700

_FLAGS = {
    "wb": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "ab": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "xb": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
}


def restrict_umask() -> int:
    """Make every file and folder this process creates from now on owner-only; return the old umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as owner-only folders; existing folders are left as they are.

    An existing folder was chosen by the operator (``/var/lib/monitor`` with its own permissions), so
    only the folders created here get :data:`DIR_MODE`.
    """
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process created it meanwhile
            continue
        folder.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask; the chmod is not
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and owner-only if it does not exist (before a library opens it by name)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(descriptor)
    return path


def open_private(path: Path, mode: Literal["wb", "ab", "xb"]) -> BinaryIO:
    """``open(path, mode)`` in binary, but a file created by it is owner-only (:data:`FILE_MODE`)."""
    return cast(BinaryIO, os.fdopen(os.open(path, _FLAGS[mode], FILE_MODE), mode))


def open_private_text(path: Path) -> TextIO:
    """``open(path, "w", encoding="utf-8")``, but a file created by it is owner-only."""
    return cast(TextIO, os.fdopen(os.open(path, _FLAGS["wb"], FILE_MODE), "w", encoding="utf-8"))


def write_private_file(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` with the owner-only mode from the first byte (no moment where others can read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # an existing file keeps its mode under O_CREAT: set it
        os.write(descriptor, text.encode("utf-8"))
    finally:
        os.close(descriptor)
    return path
