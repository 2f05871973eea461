"""Stored files (attachments, documents, the body's logo) by random id.

The filesystem under AUDITKIT_STORAGE_DIR is the default; nothing else opens these files, so
an S3-compatible store can take this module's place.
"""

import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import event


@dataclass(frozen=True)
class PutResult:
    file_id: str
    size: int
    sha256: str


def root() -> Path:
    return Path(current_app.config["AUDITKIT"].storage_dir)


def _path(storage_root: Path, file_id: str) -> Path:
    if not file_id or not file_id.replace("-", "").replace("_", "").isalnum():
        raise ValueError("invalid stored file id")
    return storage_root / file_id[:2] / file_id


class ChecksumMismatch(ValueError):
    """The bytes written are not the bytes expected; nothing was stored."""


def put(data: bytes, storage_root: Path | None = None) -> PutResult:
    return put_as(secrets.token_urlsafe(24), [data], storage_root)


def put_as(file_id: str, chunks: Iterable[bytes], storage_root: Path | None = None,
           expected: tuple[str, int] | None = None) -> PutResult:
    """Store `chunks` under a given id (a restore keeps the ids its rows refer to). With
    `expected` (sha256, size), a mismatch stores nothing and raises ChecksumMismatch."""
    target = _path(storage_root or root(), file_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if expected is not None and (digest.hexdigest(), size) != tuple(expected):
            raise ChecksumMismatch(file_id)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return PutResult(file_id, size, digest.hexdigest())


def get(file_id: str, storage_root: Path | None = None) -> bytes:
    return _path(storage_root or root(), file_id).read_bytes()


def delete(file_id: str, storage_root: Path | None = None) -> None:
    _path(storage_root or root(), file_id).unlink(missing_ok=True)


def all_files(storage_root: Path) -> list[tuple[str, Path]]:
    """Every stored file as (id, path), for backups."""
    if not storage_root.is_dir():
        return []
    return sorted((path.name, path) for path in storage_root.glob("*/*")
                  if path.is_file() and not path.name.startswith(".tmp-"))


def path_for(file_id: str, storage_root: Path) -> Path:
    return _path(storage_root, file_id)


PENDING_KEY = "auditkit.files_stored_in_transaction"


def discard_on_rollback(db, file_id: str) -> None:
    """A file stored for rows of this transaction is deleted again if the transaction rolls
    back, so a failed save leaves no orphan file behind; a commit keeps it."""
    pending = db.info.get(PENDING_KEY)
    if pending is None:
        pending = db.info[PENDING_KEY] = []
        storage_root = root()
        event.listen(db, "after_commit", lambda _session: pending.clear())
        event.listen(db, "after_rollback",
                     lambda _session: _discard(pending, storage_root))
    pending.append(file_id)


def _discard(pending: list[str], storage_root: Path) -> None:
    for file_id in pending:
        delete(file_id, storage_root)
    pending.clear()
