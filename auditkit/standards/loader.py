"""Load and validate one checklist file into an immutable Checklist.

Problems name the file, the line, the item id (or its position) and what is wrong. A blocking
problem (bad YAML, wrong shape, duplicate id, missing parent, parent cycle, assessable heading)
keeps the file from loading; missing guidance in a shipped file is reported but the checklist
stays usable, so that a half-written guidance file never takes the browser down.
"""

from dataclasses import dataclass
from pathlib import Path

from auditkit.standards.model import Checklist, Guidance, Item, Kind, Problem, Source
from auditkit.standards.reading import ReadFailed, read_yaml_bytes
from auditkit.standards.schema import ChecklistFile, describe, validation_errors

AI_FRAMEWORK = "iso42001"  # the one framework whose guidance carries ai_focus


@dataclass(frozen=True)
class LoadResult:
    path: Path
    source: Source
    checklist: Checklist | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def checklist_files(folder: Path) -> list[Path]:
    """The checklist files of a folder (mapping-*.yaml files are mappings, not checklists)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml")
                  if p.is_file() and not p.name.startswith("mapping-"))


def load_checklist(path: Path, source: Source = Source.FILE) -> LoadResult:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        return LoadResult(path, source, None,
                          (Problem(str(path), f"cannot be read: {error.strerror}"),))
    return check_checklist(raw, path, source)


def check_checklist(raw: bytes, path: Path, source: Source) -> LoadResult:
    """Validate the bytes of a checklist file; `path` names it (its stem is the key)."""
    file = str(path)
    try:
        data = read_yaml_bytes(raw)
    except ReadFailed as failure:
        return LoadResult(path, source, None, (Problem(file, failure.message, line=failure.line),))
    if data is None:
        return LoadResult(path, source, None, (Problem(file, "the file is empty"),))
    problems = _shape_problems(data, file)
    if not problems:
        problems = _structure_problems(data["items"], file)
    if problems:
        return LoadResult(path, source, None, tuple(problems))
    problems = _guidance_problems(data, file, source)
    return LoadResult(path, source, _build(data, path, source), tuple(problems))


def _label(entries, index: int) -> str:
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
    item_id = entry.get("id") if isinstance(entry, dict) else None
    return item_id if isinstance(item_id, str) and item_id.strip() else f"#{index + 1}"


def _line_at(data, loc) -> int | None:
    """The line of the deepest mapping or list on the error's path."""
    line, node = getattr(data, "line", None), data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", line)
    return line


def _shape_problems(data, file: str) -> list[Problem]:
    if not isinstance(data, dict):
        return [Problem(file, "the file must be a mapping with framework, edition and items",
                        line=getattr(data, "line", 1))]
    problems = []
    for error in validation_errors(ChecklistFile, data):
        loc = error["loc"]
        item = None
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
            item = _label(data.get("items"), loc[1])
            error = {**error, "loc": loc[2:]}
        problems.append(Problem(file, describe(error), item=item, line=_line_at(data, loc)))
    return problems


def _structure_problems(entries: list[dict], file: str) -> list[Problem]:
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for entry in entries:
        if entry["id"] in first_line:
            problems.append(Problem(file, f"duplicate id (first at line {first_line[entry['id']]})",
                                    item=entry["id"], line=entry.line))
        else:
            first_line[entry["id"]] = entry.line
    parents = {}
    for entry in entries:
        parents.setdefault(entry["id"], entry["parent"])
        if entry["parent"] is not None and entry["parent"] not in first_line:
            problems.append(Problem(file, f"parent {entry['parent']!r} is not an item of this "
                                          "checklist", item=entry["id"], line=entry.line))
    problems += _cycle_problems(entries, parents, file)
    problems += _assessable_heading_problems(entries, file)
    return problems


def _cycle_problems(entries: list[dict], parents: dict, file: str) -> list[Problem]:
    problems, seen_cycles = [], set()
    for entry in entries:
        chain = [entry["id"]]
        parent = parents[entry["id"]]
        while parent is not None and parent in parents and parent not in chain:
            chain.append(parent)
            parent = parents[parent]
        if parent is None or parent not in chain:
            continue
        cycle = chain[chain.index(parent):]
        if frozenset(cycle) in seen_cycles:
            continue
        seen_cycles.add(frozenset(cycle))
        path = " → ".join([*cycle, parent])
        problems.append(Problem(file, f"its parents form a cycle: {path}", item=cycle[0],
                                line=_first(entries, cycle[0]).line))
    return problems


def _first(entries: list[dict], item_id: str) -> dict:
    return next(entry for entry in entries if entry["id"] == item_id)


def _children(entries: list[dict]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for entry in entries:
        if entry["parent"] is not None:
            children.setdefault(entry["parent"], []).append(entry["id"])
    return children


def _assessable_heading_problems(entries: list[dict], file: str) -> list[Problem]:
    children = _children(entries)
    problems = []
    for entry in entries:
        below = children.get(entry["id"])
        if entry["assessable"] and below:
            shown = ", ".join(below[:3]) + (", ..." if len(below) > 3 else "")
            problems.append(Problem(
                file, f"is assessable but has children ({shown}): a heading is not assessed; "
                      "set assessable: false or move its question to a child",
                item=entry["id"], line=entry.line))
    return problems


def _guidance_problems(data: dict, file: str, source: Source) -> list[Problem]:
    """Not blocking: the checklist loads, but validate fails until these are fixed."""
    problems = []
    for entry in data["items"]:
        message = _guidance_problem(entry, data["framework"], source)
        if message:
            line = getattr(entry.get("guidance"), "line", None) or entry.line
            problems.append(Problem(file, message, item=entry["id"], line=line, blocking=False))
    return problems


def _guidance_problem(entry: dict, framework: str, source: Source) -> str | None:
    guidance = entry.get("guidance")
    if not entry["assessable"]:
        return "a heading carries no guidance (it is not assessed)" if guidance else None
    if source is not Source.SHIPPED:
        return None  # optional in a body's own and imported files
    if guidance is None:
        return "guidance is missing (every assessable item of a shipped checklist carries it)"
    if framework == AI_FRAMEWORK and guidance.get("ai_focus") is None:
        return "guidance.ai_focus is missing (required for ISO/IEC 42001)"
    if framework != AI_FRAMEWORK and guidance.get("ai_focus") is not None:
        return "guidance.ai_focus is for ISO/IEC 42001 items only"
    return None


def _build(data: dict, path: Path, source: Source) -> Checklist:
    entries = data["items"]
    children = _children(entries)
    parents = {entry["id"]: entry["parent"] for entry in entries}
    items = tuple(
        Item(id=entry["id"], title=entry["title"], kind=Kind(entry["kind"]),
             parent=entry["parent"], assessable=entry["assessable"],
             untitled=entry.get("untitled", False), guidance=_guidance(entry.get("guidance")),
             depth=_depth(entry["id"], parents), children=tuple(children.get(entry["id"], ())))
        for entry in entries)
    return Checklist(key=path.stem, framework=data["framework"], edition=data["edition"],
                     source=source, path=path, items=items)


def _depth(item_id: str, parents: dict) -> int:
    depth = 0
    while parents[item_id] is not None:
        item_id = parents[item_id]
        depth += 1
    return depth


def _guidance(entry: dict | None) -> Guidance | None:
    if entry is None:
        return None
    return Guidance(question=entry["question"], evidence=tuple(entry["evidence"]),
                    sample=tuple(entry["sample"]), interview=tuple(entry["interview"]),
                    ai_focus=tuple(entry.get("ai_focus") or ()))
