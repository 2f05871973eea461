"""`auditkit checklists validate|list|import` as a user runs them."""

import subprocess
import sys

import pytest

from auditkit.standards import catalogue as catalogue_module
from auditkit.standards.catalogue import body_dir, shipped_dir
from tests.unit.test_checklists_import import ISO_LIKE, library, node
from tests.unit.test_checklists_loader import GOOD, checklist_text, item


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def own_folder(app):
    folder = body_dir(app.config["AUDITKIT"].instance_dir)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """A shipped folder the test controls: two good files and no mapping."""
    folder = tmp_path / "shipped"
    folder.mkdir()
    (folder / "demo-2024.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "other-2020.yaml").write_text(GOOD.replace("framework: demo", "framework: other"),
                                            encoding="utf-8")
    monkeypatch.setattr("auditkit.standards.cli.shipped_dir", lambda: folder)
    return folder


def test_validate_without_arguments_passes_on_good_files(runner, shipped_copy, own_folder):
    (own_folder / "own-2024.yaml").write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["checklists", "validate"])
    assert result.exit_code == 0, result.output
    assert "3 files checked, 0 with problems." in result.output
    assert "own-2024.yaml: Demo 2024, 5 items, 3 assessable (body)" in result.output


def test_validate_without_arguments_reports_a_broken_body_file(runner, shipped_copy,
                                                               own_folder):
    broken = checklist_text(item("4", assessable=False), item("4.1", "4"), item("4.1", "4"))
    (own_folder / "broken.yaml").write_text(broken, encoding="utf-8")
    result = runner.invoke(args=["checklists", "validate"])
    assert result.exit_code == 1
    assert "FAILED  " in result.output and "broken.yaml: not loaded (1 problems)" in result.output
    assert "broken.yaml:" in result.output and "item 4.1: duplicate id" in result.output


def test_validate_without_arguments_requires_guidance_in_shipped_files(runner, shipped_copy,
                                                                       own_folder):
    (shipped_copy / "bare-1.yaml").write_text(checklist_text(item("4.1", guidance="")),
                                              encoding="utf-8")
    (own_folder / "bare-own.yaml").write_text(checklist_text(item("4.1", guidance="")),
                                              encoding="utf-8")
    result = runner.invoke(args=["checklists", "validate"])
    assert result.exit_code == 1
    assert "bare-1.yaml:4: item 4.1: guidance is missing" in result.output
    own_line = next(line for line in result.output.splitlines() if "bare-own.yaml" in line)
    assert own_line.startswith("ok ")  # guidance is optional in the body's own files
    assert "1 with problems" in result.output


def test_validate_given_files(runner, tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_bytes(GOOD.encode().replace(b"Title of 4.2", b"Titre \xe9"))
    assert runner.invoke(args=["checklists", "validate", str(good)]).exit_code == 0
    result = runner.invoke(args=["checklists", "validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:20: not UTF-8: byte 0xe9" in result.output


def test_validate_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["checklists", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "cannot be read" in result.output


def test_validate_the_shipped_mapping_file_explicitly(runner):
    result = runner.invoke(args=["checklists", "validate",
                                 str(shipped_dir() / "mapping-harmonized-structure.yaml")])
    assert result.exit_code == 0, result.output
    assert "26 shared questions, 4 separate" in result.output


def test_validate_the_shipped_files(runner):
    """What auditkit ships passes its own check (needs the guidance of every file)."""
    result = runner.invoke(args=["checklists", "validate"])
    assert result.exit_code == 0, result.output[-3000:]
    assert "4 files checked, 0 with problems." in result.output


def test_list_shows_counts_and_source(runner, own_folder):
    (own_folder / "own-2024.yaml").write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["checklists", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[1:5]}
    assert lines["iso42001-2023"][-4:] == ["92", "70", "38", "shipped"]
    assert lines["iso27001-2022"][-4:] == ["138", "123", "93", "shipped"]
    assert lines["iso9001-2015"][-4:] == ["91", "65", "0", "shipped"]
    assert lines["own-2024"][-4:] == ["5", "3", "1", "body"]
    assert str(own_folder) in result.output


def test_import_prints_a_checklist_that_validates(runner, tmp_path):
    source = tmp_path / "demo-isms.yaml"
    source.write_bytes(ISO_LIKE)
    result = runner.invoke(args=["checklists", "import", "--format", "ciso-assistant",
                                 str(source)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Imported from a CISO Assistant framework library")
    assert "Imported 7 items (3 assessable)." in result.stderr
    out = tmp_path / "printed.yaml"
    out.write_text(result.stdout, encoding="utf-8")
    assert runner.invoke(args=["checklists", "validate", str(out)]).exit_code == 0


def test_import_writes_into_the_body_folder_and_list_shows_it(runner, tmp_path, own_folder):
    source = tmp_path / "demo-isms.yaml"
    source.write_bytes(ISO_LIKE)
    out = own_folder / "demo-isms-2022.yaml"
    result = runner.invoke(args=["checklists", "import", "--format", "ciso-assistant",
                                 str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    validated = runner.invoke(args=["checklists", "validate", str(out)])
    assert validated.exit_code == 0 and "(body)" in validated.output
    listed = runner.invoke(args=["checklists", "list"]).output
    assert "demo-isms-2022" in listed and "body" in listed
    assert [p.name for p in own_folder.iterdir()] == ["demo-isms-2022.yaml"]  # no temp files


def test_broken_input_writes_nothing(runner, tmp_path, own_folder):
    source = tmp_path / "broken.yaml"
    source.write_bytes(library(node("4", "3", assessable=True)))
    out = own_folder / "broken-import.yaml"
    result = runner.invoke(args=["checklists", "import", "--format", "ciso-assistant",
                                 str(source), "--out", str(out)])
    assert result.exit_code != 0
    assert "the library was not imported" in result.output and "is not a node" in result.output
    assert list(own_folder.iterdir()) == []


def test_broken_input_leaves_an_existing_out_file_alone(runner, tmp_path):
    source, out = tmp_path / "broken.yaml", tmp_path / "kept.yaml"
    source.write_bytes(b"objects: [\n")
    out.write_text("previous content", encoding="utf-8")
    result = runner.invoke(args=["checklists", "import", "--format", "ciso-assistant",
                                 str(source), "--out", str(out)])
    assert result.exit_code != 0 and "malformed YAML" in result.output
    assert out.read_text(encoding="utf-8") == "previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml", "kept.yaml"]


def test_import_refuses_the_shipped_folder_and_shipped_names(runner, tmp_path):
    source = tmp_path / "lib.yaml"
    source.write_bytes(ISO_LIKE)
    into_shipped = runner.invoke(args=["checklists", "import", "--format", "ciso-assistant",
                                       str(source), "--out", str(shipped_dir() / "x.yaml")])
    assert into_shipped.exit_code != 0 and "belongs to auditkit" in into_shipped.output
    assert not (shipped_dir() / "x.yaml").exists()
    same_name = runner.invoke(args=["checklists", "import", "--format", "ciso-assistant",
                                    str(source), "--out", str(tmp_path / "iso27001-2022.yaml")])
    assert same_name.exit_code != 0 and "name of a shipped checklist" in same_name.output


def test_import_needs_a_known_format(runner, tmp_path):
    source = tmp_path / "lib.yaml"
    source.write_bytes(ISO_LIKE)
    result = runner.invoke(args=["checklists", "import", "--format", "excel", str(source)])
    assert result.exit_code == 2 and "ciso-assistant" in result.output


@pytest.mark.slow
def test_the_console_script_runs_validate_in_a_fresh_process(tmp_path):
    """Through the installed `auditkit` entry point, as a user types it."""
    own = tmp_path / "instance" / "checklists"
    own.mkdir(parents=True)
    (own / "bad.yaml").write_text("framework: demo\nitems: [", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "auditkit", "checklists", "validate"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
        env={"AUDITKIT_INSTANCE_DIR": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stderr
    assert "bad.yaml" in result.stdout and "malformed YAML" in result.stdout


def test_catalogue_module_does_not_cache_scans(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    assert catalogue_module.scan(folder, None).results == ()
    (folder / "a-1.yaml").write_text(GOOD, encoding="utf-8")
    assert len(catalogue_module.scan(folder, None).results) == 1
