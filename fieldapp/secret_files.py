"""Files only the server's own user may read: the instance folder, the database, keys and secrets."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: str | os.PathLike) -> Path:
    """Create `path` (and parents) as 0700; a folder that already exists is left as its owner set it."""
    folder = Path(path)
    if not folder.exists():
        folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is filtered through the umask; be exact
    return folder


def write_secret_file(path: str | os.PathLike, data: bytes | str, *, exclusive: bool = False) -> bool:
    """Write `data` to `path` with mode 0600 from the first byte, its folder 0700 if new.

    exclusive: never replace an existing file (two processes starting together must not each write a
    different key); returns False when the file was already there. Otherwise the file is replaced
    atomically, so a crash never leaves a half-written key.
    """
    target = Path(path)
    make_private_dir(target.parent)
    payload = data.encode() if isinstance(data, str) else data
    if exclusive:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        return True
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
    os.chmod(temporary, PRIVATE_FILE_MODE)  # O_CREAT's mode is filtered through the umask
    os.replace(temporary, target)
    return True


def create_private_sqlite_file(database_uri: str) -> None:
    """Create the SQLite database file as 0600 before SQLite does (it would use 0644 under the usual umask).

    SQLite gives its -wal and -shm files the database file's mode, so they are private too.
    """
    prefix = "sqlite:///"
    if not database_uri.startswith(prefix):
        return
    location = database_uri[len(prefix) :].split("?", 1)[0]
    if not location or location == ":memory:" or location.startswith("file:"):
        return
    path = Path(location)
    if path.exists():
        return
    make_private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
