"""Backup and restore (T22): one zip archive with every table as JSON lines, the stored files
and a manifest of checksums.

Rows are dumped as JSON rather than as a database file, so a backup taken on SQLite restores
into PostgreSQL and the other way round. Every table is read inside one read transaction, so
the backup is consistent while the app keeps running.
"""

import base64
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO

from alembic.util import CommandError
from flask import current_app
from sqlalchemy import Connection, Integer, Table, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import auditkit.models  # noqa: F401  (registers the tables)
from auditkit import __version__, storage
from auditkit import db as database
from auditkit.migrate import current_revision, head_revision, upgrade_database

FORMAT = "auditkit-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "database/"
FILES_DIR = "files/"
CHUNK_BYTES = 1024 * 1024
INSERT_BATCH = 500
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


# --- backup ----------------------------------------------------------------------------------

def write_backup(path) -> str:
    target = Path(path)
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    engine = database.engine()
    revision = current_revision(engine)
    if revision is None:
        raise BackupError("The database is not initialised; run `auditkit init` first.")
    try:
        with _replaced_when_done(target) as handle:
            counts, files = _write_archive(handle, engine, revision)
    except OSError as error:
        raise BackupError(f"Could not write the backup {target}: {error}") from None
    return (f"Backed up {sum(counts.values())} rows in {len(counts)} tables and "
            f"{files} stored files to {target}")


@contextmanager
def _replaced_when_done(target: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside the target that takes its place only when complete."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _write_archive(handle: IO[bytes], engine: Engine, revision: str) -> tuple[dict, int]:
    members: dict[str, dict] = {}
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        counts = _dump_tables(engine, archive, members)
        files = _copy_stored_files(archive, _storage_root(), members)
        manifest = _manifest(engine, revision, counts, members)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    return counts, files


def _tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def _storage_root() -> Path:
    return Path(current_app.config["AUDITKIT"].storage_dir)


def _dump_tables(engine: Engine, archive: zipfile.ZipFile, members: dict) -> dict[str, int]:
    with _read_snapshot(engine) as conn:
        return {table.name: _dump_table(conn, table, archive, members) for table in _tables()}


@contextmanager
def _read_snapshot(engine: Engine) -> Iterator[Connection]:
    # SQLite: a plain BEGIN (no write intent) reads one WAL snapshot and blocks no writer.
    token = database.set_write_intent(False)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ",
                                       postgresql_readonly=True)
            with conn.begin():
                yield conn
    finally:
        database.reset_write_intent(token)


def _dump_table(conn: Connection, table: Table, archive: zipfile.ZipFile, members: dict) -> int:
    query = (select(table).order_by(*table.primary_key.columns)
             .execution_options(yield_per=1000))
    count = 0
    with _member_writer(archive, _table_member(table), members) as out:
        for row in conn.execute(query).mappings():
            out.write(json.dumps(dict(row), default=_encode, ensure_ascii=False).encode() + b"\n")
            count += 1
    return count


def _table_member(table: Table) -> str:
    return f"{TABLES_DIR}{table.name}.jsonl"


def _encode(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


class _HashingWriter:
    def __init__(self, target: IO[bytes]):
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)


@contextmanager
def _member_writer(archive: zipfile.ZipFile, name: str, members: dict) -> Iterator[_HashingWriter]:
    info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as raw:
        out = _HashingWriter(raw)
        yield out
    members[name] = {"sha256": out.digest.hexdigest(), "size": out.size}


def _copy_stored_files(archive: zipfile.ZipFile, root: Path, members: dict) -> int:
    copied = 0
    for file_id, path in storage.all_files(root):
        try:
            source = path.open("rb")
        except FileNotFoundError:
            continue  # deleted since it was listed, after its row was
        with source, _member_writer(archive, FILES_DIR + file_id, members) as out:
            shutil.copyfileobj(source, out, CHUNK_BYTES)
        copied += 1
    return copied


def _manifest(engine: Engine, revision: str, counts: dict, members: dict) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "auditkit_version": __version__,
        "alembic_revision": revision,
        "created_at": datetime.now(UTC).isoformat(),
        "database_dialect": engine.dialect.name,
        "tables": counts,
        "members": [{"name": name, **members[name]} for name in sorted(members)],
    }


# --- restore ---------------------------------------------------------------------------------

def restore_backup(path, force: bool = False) -> str:
    engine = database.engine()
    with _open_archive(Path(path)) as archive:
        manifest = _read_manifest(archive)
        listed = _listed_members(manifest)
        _check_members(archive, listed)
        _check_revision(manifest, engine)
        _check_member_names(listed)
        _check_checksums(archive, listed)
        _upgrade(engine)
        try:
            counts, files = _restore_rows_and_files(engine, archive, manifest, listed, force)
        except OSError as error:
            raise BackupError(f"Restore failed; the database rows were left as they were: "
                              f"{error}") from None
    removed = _remove_files_not_in(listed, _storage_root())
    return (f"Restored {sum(counts.values())} rows in {len(counts)} tables and "
            f"{files} stored files from {path}"
            + (f"; removed {removed} stored files the restored database no longer refers to"
               if removed else ""))


def _remove_files_not_in(listed: dict, root: Path) -> int:
    """After a forced restore, files of the replaced database are orphans: no row names them."""
    kept = {name.removeprefix(FILES_DIR) for name in listed if name.startswith(FILES_DIR)}
    orphans = [file_id for file_id, _ in storage.all_files(root) if file_id not in kept]
    for file_id in orphans:
        storage.delete(file_id, root)
    return len(orphans)


@contextmanager
def _open_archive(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise BackupError(_why_not_a_zip(path)) from None
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}") from None
    with archive:
        yield archive


def _why_not_a_zip(path: Path) -> str:
    with path.open("rb") as handle:
        starts_like_zip = handle.read(2) == b"PK"
    if starts_like_zip:
        return f"{path} is a damaged or truncated zip archive."
    return f"{path} is not a zip archive, so it is not an auditkit backup."


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise BackupError(f"The archive has no {MANIFEST}, so it is not an auditkit backup.") \
            from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{MANIFEST} is too large to be an auditkit manifest.")
    try:
        manifest = json.loads(_read_member(archive, MANIFEST))
    except ValueError:
        raise BackupError(f"{MANIFEST} is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} does not describe an auditkit backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"The backup has format version {manifest.get('format_version')}; "
                          f"this auditkit ({__version__}) reads version {FORMAT_VERSION}.")
    return manifest


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    with _damage_reported(name):
        return archive.read(name)


@contextmanager
def _damage_reported(name: str) -> Iterator[None]:
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise BackupError(f"The archive member {name} cannot be read; the archive is damaged "
                          f"({error}).") from None


def _listed_members(manifest: dict) -> dict[str, tuple[str, int]]:
    """The manifest's members as {name: (sha256, size)}."""
    try:
        listed = {entry["name"]: (entry["sha256"], entry["size"])
                  for entry in manifest["members"]}
        tables = manifest["tables"]
    except (KeyError, TypeError):
        raise BackupError(f"{MANIFEST} is incomplete: it must list members and tables.") \
            from None
    if not all(isinstance(n, str) and isinstance(s, str) and isinstance(z, int)
               for n, (s, z) in listed.items()):
        raise BackupError(f"{MANIFEST} lists a member without a valid checksum and size.")
    if not isinstance(tables, dict):
        raise BackupError(f"{MANIFEST} does not give the row count of each table.")
    return listed


def _check_members(archive: zipfile.ZipFile, listed: dict) -> None:
    names = Counter(archive.namelist())
    repeated = sorted(name for name, count in names.items() if count > 1)
    missing = sorted(set(listed) - set(names))
    extra = sorted(set(names) - set(listed) - {MANIFEST})
    if repeated:
        raise BackupError(f"The archive holds some members twice: {_few(repeated)}.")
    if missing:
        raise BackupError(f"The archive lacks members the manifest lists: {_few(missing)}.")
    if extra:
        raise BackupError(f"The archive holds members the manifest does not list: "
                          f"{_few(extra)}.")


def _few(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown if len(names) <= 5 else f"{shown} and {len(names) - 5} more"


def _check_revision(manifest: dict, engine: Engine) -> None:
    found, expected = manifest.get("alembic_revision"), head_revision(engine)
    if found != expected:
        raise BackupError(
            f"The backup is at database revision {found}, but this auditkit ({__version__}) "
            f"is at revision {expected}. Restore it with the auditkit version that made it "
            f"({manifest.get('auditkit_version')}).")


def _check_member_names(listed: dict) -> None:
    table_members = {_table_member(table) for table in _tables()}
    missing = sorted(table_members - set(listed))
    if missing:
        raise BackupError(f"The backup lacks the rows of tables: {_few(missing)}.")
    for name in set(listed) - table_members:
        if not (name.startswith(FILES_DIR) and _is_file_id(name.removeprefix(FILES_DIR))):
            raise BackupError(f"The archive member {name} is neither a table nor a stored file.")


def _is_file_id(file_id: str) -> bool:
    try:
        storage.path_for(file_id, Path())
    except ValueError:
        return False
    return True


def _check_checksums(archive: zipfile.ZipFile, listed: dict) -> None:
    for name, expected in listed.items():
        if _copy_hashed(archive, name) != expected:
            raise _checksum_error(name)


def _copy_hashed(archive: zipfile.ZipFile, name: str,
                 target: IO[bytes] | None = None) -> tuple[str, int]:
    """The member's (sha256, size), copying it to target on the way."""
    digest, size = hashlib.sha256(), 0
    with _damage_reported(name), archive.open(name) as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
            if target is not None:
                target.write(chunk)
    return digest.hexdigest(), size


def _checksum_error(name: str) -> BackupError:
    return BackupError(f"Checksum mismatch for {name}: the archive is damaged or was altered.")


def _upgrade(engine: Engine) -> None:
    try:
        upgrade_database(engine)
    except CommandError as error:
        raise BackupError(f"Cannot bring the database to this auditkit's revision: {error}") \
            from None


def _restore_rows_and_files(engine: Engine, archive: zipfile.ZipFile, manifest: dict,
                            listed: dict, force: bool) -> tuple[dict[str, int], int]:
    tables = _tables()
    with database.write_intent(), engine.begin() as conn:
        _lock_tables(conn, tables)
        if _has_rows(conn, tables):
            if not force:
                raise BackupError("The database already holds data; restore replaces it only "
                                  "with --force.")
            _delete_rows(conn, tables)
        counts = {table.name: _insert_table(conn, table, archive, manifest) for table in tables}
        _reset_sequences(conn, tables)
        # Written before the commit: a file that fails rolls the rows back too.
        files = _restore_files(archive, listed, _storage_root())
    return counts, files


def _lock_tables(conn: Connection, tables: list[Table]) -> None:
    # SQLite's BEGIN IMMEDIATE already excludes other writers.
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
        conn.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")


def _has_rows(conn: Connection, tables: list[Table]) -> bool:
    return any(conn.execute(select(table).limit(1)).first() is not None for table in tables)


def _delete_rows(conn: Connection, tables: list[Table]) -> None:
    for table in reversed(tables):
        conn.execute(table.delete())


def _insert_table(conn: Connection, table: Table, archive: zipfile.ZipFile,
                  manifest: dict) -> int:
    name = _table_member(table)
    try:
        with _damage_reported(name), archive.open(name) as raw:
            count = _insert_rows(conn, table, io.TextIOWrapper(raw, encoding="utf-8"))
    except (ValueError, TypeError, SQLAlchemyError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise BackupError(f"The rows of table {table.name} cannot be restored: {reason}") \
            from None
    if count != manifest["tables"].get(table.name):
        raise BackupError(f"The manifest counts {manifest['tables'].get(table.name)} rows in "
                          f"{table.name}, but the backup holds {count}.")
    return count


def _insert_rows(conn: Connection, table: Table, lines: Iterable[str]) -> int:
    decode = _row_decoder(table)
    batch: list[dict] = []
    count = 0
    for line in lines:
        batch.append(decode(json.loads(line)))
        if len(batch) == INSERT_BATCH:
            conn.execute(table.insert(), batch)
            count, batch = count + len(batch), []
    if batch:
        conn.execute(table.insert(), batch)
    return count + len(batch)


def _row_decoder(table: Table) -> Callable[[dict], dict]:
    decoders = {column.key: _value_decoder(column.type) for column in table.columns}

    def decode(row: dict) -> dict:
        unknown = set(row) - set(decoders)
        if unknown:
            raise ValueError(f"unknown columns {', '.join(sorted(unknown))}")
        return {key: None if value is None else decoders[key](value)
                for key, value in row.items()}

    return decode


_DECODERS: dict[type, Callable] = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    time: time.fromisoformat,
    bytes: base64.b64decode,
    Decimal: Decimal,
}


def _value_decoder(column_type) -> Callable:
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return _unchanged
    return _DECODERS.get(python_type, _unchanged)


def _unchanged(value):
    return value


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Point each PostgreSQL id sequence past the restored rows, so new rows do not clash."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        column = _serial_column(table)
        if column is None:
            continue
        table_name = conn.dialect.identifier_preparer.format_table(table)
        highest = func.max(column)
        conn.execute(select(func.setval(func.pg_get_serial_sequence(table_name, column.name),
                                        func.coalesce(highest, 1), highest.is_not(None)))
                     .select_from(table))


def _serial_column(table: Table):
    columns = list(table.primary_key.columns)
    if len(columns) == 1 and isinstance(columns[0].type, Integer) and columns[0].autoincrement:
        return columns[0]
    return None


def _restore_files(archive: zipfile.ZipFile, listed: dict, root: Path) -> int:
    names = sorted(name for name in listed if name.startswith(FILES_DIR))
    for name in names:
        _restore_file(archive, name, listed[name], root)
    return len(names)


def _restore_file(archive: zipfile.ZipFile, name: str, expected: tuple[str, int],
                  root: Path) -> None:
    try:
        storage.put_as(name.removeprefix(FILES_DIR), _chunks(archive, name), root,
                       expected=expected)
    except storage.ChecksumMismatch:
        raise _checksum_error(name) from None


def _chunks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with _damage_reported(name), archive.open(name) as source:
        while chunk := source.read(CHUNK_BYTES):
            yield chunk
