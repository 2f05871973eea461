"""`auditkit backup` and `auditkit restore` through the real CLI (T22)."""

import hashlib
import json
import os
import threading
import time
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from auditkit import create_app, db, storage
from auditkit.config import Config
from auditkit.migrate import head_revision
from auditkit.models import StoredFile, User, UserRole
from tests import factories
from tests.conftest import POSTGRES_URL, _postgres_database, login

pytestmark = pytest.mark.backup

LOGO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(arg) for arg in args])


def table_contents(app) -> dict[str, list[dict]]:
    """Every row of every table, in an order that does not depend on the engine's collation."""
    engine = app.extensions["auditkit.engine"]
    with engine.connect() as conn:
        return {table.name: sorted((dict(row) for row in conn.execute(select(table)).mappings()),
                                   key=lambda row: [str(row[key]) for key in sorted(row)])
                for table in SQLModel.metadata.sorted_tables}


def row_counts(contents: dict[str, list[dict]]) -> dict[str, int]:
    return {name: len(rows) for name, rows in contents.items()}


@pytest.fixture
def filled(app, make_user, make_client):
    client = make_client("Acme Ltd")
    admin = make_user("admin")
    auditee = make_user("auditee", client_id=client.id)
    with app.app_context(), db.write_intent():
        stored = storage.put(LOGO)
        db.session().add(StoredFile(id=stored.file_id, original_name="logo.png",
                                    content_type="image/png", size=stored.size,
                                    sha256=stored.sha256))
        db.session().commit()
    return SimpleNamespace(admin=admin, auditee=auditee, file_id=stored.file_id)


@pytest.fixture
def archive(app, filled, tmp_path):
    path = tmp_path / "backups" / "auditkit.zip"
    path.parent.mkdir()
    result = run(app, "backup", path)
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    return path


@pytest.fixture
def fresh_app(database_url, tmp_path):
    """A second, empty instance; on the other engine when PostgreSQL is available, so the round
    trip also crosses from SQLite to PostgreSQL and back."""
    drop = None
    if database_url.startswith("sqlite") and POSTGRES_URL:
        url, drop = _postgres_database(POSTGRES_URL)
    else:
        url = f"sqlite:///{tmp_path / 'fresh' / 'auditkit.sqlite3'}"
    application = create_app(Config(instance_dir=tmp_path / "fresh", database_url=url,
                                    secret_key="fresh-secret-key", testing=True))
    yield application
    application.extensions["auditkit.engine"].dispose()
    if drop:
        drop()


def read_archive(path) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(members.pop("manifest.json")), members


def test_round_trip_into_a_fresh_instance(app, filled, archive, fresh_app):
    result = run(fresh_app, "restore", archive)

    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "1 stored files" in result.output
    assert table_contents(fresh_app) == table_contents(app)
    with fresh_app.app_context():
        assert storage.get(filled.file_id) == LOGO
    assert login(fresh_app.test_client(), filled.auditee.email).status_code == 302
    with fresh_app.app_context(), db.write_intent():
        newcomer = factories.make_user(db.session(), "auditor")
        db.session().commit()
    assert newcomer.id > max(filled.admin.id, filled.auditee.id)


def test_manifest_lists_every_member_with_its_checksum(app, filled, archive):
    manifest, members = read_archive(archive)

    listed = {entry["name"]: entry for entry in manifest["members"]}
    assert set(listed) == set(members)
    for name, data in members.items():
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest()
        assert listed[name]["size"] == len(data)
    assert f"files/{filled.file_id}" in members
    assert manifest["tables"] == row_counts(table_contents(app))
    assert manifest["alembic_revision"] == head_revision(app.extensions["auditkit.engine"])
    assert manifest["database_dialect"] == app.extensions["auditkit.engine"].dialect.name
    assert manifest["created_at"].endswith("+00:00")


def test_restore_refuses_a_database_with_data_unless_forced(app, archive, make_user):
    backed_up = table_contents(app)
    make_user("reviewer")
    before = table_contents(app)

    refused = run(app, "restore", archive)
    assert refused.exit_code != 0
    assert "already holds data" in refused.output and "--force" in refused.output
    assert table_contents(app) == before

    forced = run(app, "restore", archive, "--force")
    assert forced.exit_code == 0, forced.output
    assert table_contents(app) == backed_up


def test_forced_restore_removes_files_the_restored_database_does_not_name(app, filled, archive):
    with app.app_context():
        orphan = storage.put(b"stored after the backup was taken")
    forced = run(app, "restore", archive, "--force")
    assert forced.exit_code == 0, forced.output
    assert "removed 1 stored files" in forced.output
    with app.app_context():
        assert storage.get(filled.file_id) == LOGO
        with pytest.raises(FileNotFoundError):
            storage.get(orphan.file_id)


def tampered(members):
    members["database/user_account.jsonl"] = members["database/user_account.jsonl"].replace(
        b"Test User", b"Evil User")


def without_manifest(members):
    del members["manifest.json"]


def without_stored_file(members):
    del members[next(name for name in members if name.startswith("files/"))]


def with_extra_member(members):
    members["notes.txt"] = b"not part of the backup"


def from_other_revision(members):
    manifest = json.loads(members["manifest.json"])
    manifest["alembic_revision"] = "0000"
    members["manifest.json"] = json.dumps(manifest).encode()


def rewritten(change):
    def make(path, tmp_path):
        with zipfile.ZipFile(path) as old:
            members = {name: old.read(name) for name in old.namelist()}
        change(members)
        target = tmp_path / "altered.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
            for name, data in members.items():
                new.writestr(name, data)
        return target

    return make


def random_bytes(_path, tmp_path):
    target = tmp_path / "random.zip"
    target.write_bytes(b"XX" + os.urandom(4000))
    return target


def truncated(path, tmp_path):
    target = tmp_path / "truncated.zip"
    data = path.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


@pytest.mark.parametrize(("make_bad", "problem"), [
    (rewritten(tampered), "Checksum mismatch for database/user_account.jsonl"),
    (random_bytes, "not a zip archive"),
    (rewritten(without_manifest), "no manifest.json"),
    (truncated, "damaged or truncated"),
    (rewritten(without_stored_file), "lacks members the manifest lists: files/"),
    (rewritten(with_extra_member), "does not list: notes.txt"),
    (rewritten(from_other_revision), "revision 0000"),
], ids=["tampered", "random", "no-manifest", "truncated", "missing-member", "extra-member",
        "other-revision"])
def test_restore_refuses_a_bad_archive_and_changes_nothing(app, archive, tmp_path, make_bad,
                                                           problem):
    bad = make_bad(archive, tmp_path)
    before = table_contents(app)

    result = run(app, "restore", bad, "--force")

    assert result.exit_code != 0
    assert problem in result.output
    assert "Traceback" not in result.output
    assert table_contents(app) == before


def test_failed_backup_leaves_the_previous_file_alone(app, filled, tmp_path, monkeypatch):
    target = tmp_path / "backups" / "auditkit.zip"
    target.parent.mkdir()
    target.write_bytes(b"yesterday's backup")

    def broken_disk(_root):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "all_files", broken_disk)
    result = run(app, "backup", target)

    assert result.exit_code != 0
    assert "No space left on device" in result.output
    assert target.read_bytes() == b"yesterday's backup"
    assert [path.name for path in target.parent.iterdir()] == ["auditkit.zip"]


def keep_adding_users(engine, stop: threading.Event, errors: list) -> None:
    """Each commit adds a user with exactly one role, so a consistent dump has as many roles
    as users."""
    number = 0
    try:
        while not stop.is_set():
            number += 1
            with db.write_intent(), Session(engine) as session:
                user = User(email=f"writer{number}@example.test", full_name="Writer",
                            password_hash="not-a-real-hash")
                session.add(user)
                session.flush()
                session.add(UserRole(user_id=user.id, role="auditor"))
                session.commit()
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def dumped_rows(members: dict[str, bytes], table: str) -> list[dict]:
    return [json.loads(line) for line in members[f"database/{table}.jsonl"].splitlines()]


def test_backup_while_another_thread_writes_is_consistent(app, tmp_path):
    engine = app.extensions["auditkit.engine"]
    stop, errors = threading.Event(), []
    writer = threading.Thread(target=keep_adding_users, args=(engine, stop, errors))
    writer.start()
    try:
        time.sleep(0.1)
        manifests = []
        for number in range(3):
            path = tmp_path / f"backup-{number}.zip"
            result = run(app, "backup", path)
            assert result.exit_code == 0, result.output
            manifest, members = read_archive(path)
            manifests.append(manifest)
            users = dumped_rows(members, "user_account")
            roles = dumped_rows(members, "user_role")
            assert manifest["tables"]["user_account"] == len(users)
            assert manifest["tables"]["user_role"] == len(roles)
            assert sorted(role["user_id"] for role in roles) == sorted(u["id"] for u in users)
    finally:
        stop.set()
        writer.join()
    assert not errors
    assert len(table_contents(app)["user_account"]) > manifests[0]["tables"]["user_account"]
