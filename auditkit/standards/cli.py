"""`auditkit checklists validate|list|import`."""

import os
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from auditkit.standards import ciso_assistant
from auditkit.standards.catalogue import (
    HARMONIZED_MAPPING,
    Catalogue,
    body_dir,
    load_catalogue,
    read_folder,
    scan,
    shipped_dir,
    without_clashes,
)
from auditkit.standards.loader import LoadResult, load_checklist
from auditkit.standards.mapping import load_mapping
from auditkit.standards.model import Source


@click.group("checklists", help="Check, list and import checklist files.")
def checklists_group():
    pass


def _instance_dir() -> Path:
    return current_app.config["AUDITKIT"].instance_dir


@checklists_group.command("validate", help=(
    "Check checklist files: the given FILEs, or else every shipped file, the harmonized "
    "mapping and the body's own files. Exits non-zero when anything is wrong."))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def validate_command(files: tuple[Path, ...]):
    shipped = read_folder(shipped_dir(), Source.SHIPPED)
    if files:
        reports = [_explicit_report(path, shipped) for path in files]
    else:
        reports = _catalogue_reports(scan(shipped_dir(), body_dir(_instance_dir())))
    failed = 0
    for label, summary, problems in reports:
        click.echo(f"{'FAILED' if problems else 'ok':<7} {label}: {summary}")
        for problem in problems:
            click.echo(f"  {problem}")
        failed += bool(problems)
    click.echo(f"{len(reports)} files checked, {failed} with problems.")
    if failed:
        raise SystemExit(1)


def _result_report(result: LoadResult) -> tuple[str, str, tuple]:
    problems = result.problems
    if result.checklist is None:
        return str(result.path), f"not loaded ({len(problems)} problems)", problems
    checklist = result.checklist
    summary = (f"{checklist.edition}, {len(checklist)} items, "
               f"{len(checklist.assessable_items)} assessable ({result.source})")
    if problems:
        summary += f", {len(problems)} problems"
    return str(result.path), summary, problems


def _catalogue_reports(catalogue: Catalogue) -> list[tuple[str, str, tuple]]:
    reports = [_result_report(result) for result in catalogue.results]
    path = shipped_dir() / HARMONIZED_MAPPING
    if catalogue.mapping is not None or catalogue.mapping_problems:
        reports.append(_mapping_report(path, catalogue.mapping, catalogue.mapping_problems))
    return reports


def _mapping_report(path: Path, mapping, problems) -> tuple[str, str, tuple]:
    if mapping is None:
        return str(path), f"not loaded ({len(problems)} problems)", problems
    return str(path), (f"{len(mapping.shared)} shared questions, {len(mapping.separate)} "
                       "separate"), problems


def _explicit_report(path: Path, shipped: tuple[LoadResult, ...]):
    if path.name.startswith("mapping-"):
        loaded = {r.checklist.key: r.checklist for r in shipped if r.checklist is not None}
        return _mapping_report(path, *load_mapping(path, loaded))
    source = _source_of(path)
    result = load_checklist(path, source)
    if source is Source.BODY:
        result = without_clashes((result,), shipped)[0]
    return _result_report(result)


def _source_of(path: Path) -> Source:
    folder = path.resolve().parent
    if folder == shipped_dir().resolve():
        return Source.SHIPPED
    if folder == body_dir(_instance_dir()).resolve():
        return Source.BODY
    return Source.FILE


@checklists_group.command("list", help="List the checklists: shipped ones and the body's own.")
@with_appcontext
def list_command():
    catalogue = load_catalogue(_instance_dir())
    click.echo(f"{'checklist':<24} {'framework':<12} {'edition':<24} {'items':>5} "
               f"{'assessable':>10} {'SoA':>4}  source")
    for checklist in catalogue.checklists:
        click.echo(f"{checklist.key:<24} {checklist.framework:<12} {checklist.edition:<24} "
                   f"{len(checklist):>5} {len(checklist.assessable_items):>10} "
                   f"{len(checklist.soa_items):>4}  {checklist.source}")
    if catalogue.rejected:
        click.echo(f"{len(catalogue.rejected)} files could not be loaded: "
                   + ", ".join(str(r.path) for r in catalogue.rejected)
                   + ". Run `auditkit checklists validate` to see why.")
    click.echo(f"The body's own checklists go in {body_dir(_instance_dir())}")


@checklists_group.command("import", help=(
    "Convert a framework library of another tool into an auditkit checklist file, printed "
    "or written to --out. Nothing is written when the input is broken."))
@click.option("--format", "source_format", type=click.Choice(["ciso-assistant"]),
              required=True, help="The input's format.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the checklist here (e.g. the body's checklists folder).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(source_format: str, out: Path | None, file: Path):
    if out is not None:
        _refuse_shipped_target(out)
    key = out.stem if out is not None else file.stem
    try:
        converted = ciso_assistant.convert(file.read_bytes(), name=str(file), key=key)
    except ciso_assistant.ImportFailed as failure:
        raise click.ClickException("the library was not imported:\n  "
                                   + "\n  ".join(failure.problems)) from None
    if out is None:
        click.echo(converted.text, nl=False)
    else:
        _write_atomically(out, converted.text)
    note = f"; {converted.derived_ids} ids taken from urns" if converted.derived_ids else ""
    click.echo(f"Imported {converted.items} items ({converted.assessable} assessable{note})"
               + (f" into {out}" if out else "") + ".", err=True)


def _refuse_shipped_target(out: Path) -> None:
    shipped = shipped_dir().resolve()
    if out.resolve().parent == shipped:
        raise click.ClickException("the shipped checklists folder belongs to auditkit; write "
                                   "the body's own checklists to its data folder")
    if out.stem in {path.stem for path in shipped.glob("*.yaml")}:
        raise click.ClickException(f"{out.name} has the name of a shipped checklist; choose "
                                   "another file name")


def _write_atomically(out: Path, text: str) -> None:
    """All or nothing: a half-written file never replaces or appears as `out`."""
    if not out.parent.is_dir():
        raise click.ClickException(f"folder {out.parent} does not exist")
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
