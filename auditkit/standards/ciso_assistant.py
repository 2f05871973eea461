"""Convert a CISO Assistant framework library (YAML) into an auditkit checklist file.

Every requirement node is kept, in document order: its ref_id becomes the item id (a node
without one gets the last segment of its urn), parent_urn becomes the parent, and assessable
is kept. Annex-style nodes become controls (subject to the Statement of Applicability), the
rest clauses. Names become titles; descriptions and annotations are left out, as they often
carry the standard's own text. The result is checked with the same loader as every checklist
before it is returned, so what comes out passes `auditkit checklists validate`.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from auditkit.standards.loader import check_checklist
from auditkit.standards.model import Kind, Source
from auditkit.standards.reading import ReadFailed, read_yaml_bytes

CONTROL_GROUPS = frozenset({"soa", "controls", "annex-a", "annex a"})
ANNEX_ID = re.compile(r"^A\.\d", re.IGNORECASE)
ANNEX_A = re.compile(r"\bannex[ -]?a\b")
TITLE_FALLBACK_LENGTH = 80


class ImportFailed(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Converted:
    text: str
    items: int
    assessable: int
    derived_ids: int  # nodes whose id came from their urn


@dataclass(frozen=True)
class _Node:
    urn: str
    ref_id: str | None
    parent_urn: str | None
    assessable: bool
    name: str | None
    titled: bool  # False when the title had to come from the description or the id
    groups: frozenset[str]
    line: int


def convert(raw: bytes, name: str = "library", key: str = "imported") -> Converted:
    """The checklist file text for a library's framework; ImportFailed lists what is wrong."""
    try:
        data = read_yaml_bytes(raw)
    except ReadFailed as failure:
        raise ImportFailed([f"{name}: {failure.message}"]) from None
    framework = _framework(data, name)
    nodes = _nodes(framework.get("requirement_nodes"), name)
    ids = _item_ids(nodes)
    text = _render(data, framework, nodes, ids)
    result = check_checklist(text.encode("utf-8"), Path(f"{key}.yaml"), Source.BODY)
    if result.checklist is None:
        raise ImportFailed([f"{name}: cannot be a valid checklist: "
                            + (f"item {p.item}: " if p.item else "") + p.message
                            for p in result.problems])
    derived = sum(1 for node in nodes if node.ref_id is None or ids[node.urn] != node.ref_id)
    return Converted(text, len(nodes), sum(n.assessable for n in nodes), derived)


def _framework(data, name: str) -> dict:
    if not isinstance(data, dict):
        raise ImportFailed([f"{name}: not a CISO Assistant library (no top-level mapping)"])
    objects = data.get("objects")
    if not isinstance(objects, dict):
        raise ImportFailed([f"{name}: not a CISO Assistant library (no objects)"])
    framework = objects.get("framework")
    if not isinstance(framework, dict):
        found = ", ".join(sorted(map(str, objects))) or "nothing"
        raise ImportFailed([f"{name}: this library holds no framework (it holds {found})"])
    return framework


def _nodes(raw_nodes, name: str) -> list[_Node]:
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise ImportFailed([f"{name}: the framework has no requirement_nodes"])
    problems, nodes, seen = [], [], set()
    for index, raw in enumerate(raw_nodes):
        where = f"{name}:{getattr(raw, 'line', '?')}: node {index + 1}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: not a mapping")
            continue
        node = _node(raw, where, problems)
        if node is None:
            continue
        if node.urn in seen:
            problems.append(f"{where}: duplicate urn {node.urn}")
        seen.add(node.urn)
        nodes.append(node)
    for node in nodes:
        if node.parent_urn is not None and node.parent_urn not in seen:
            problems.append(f"{name}:{node.line}: node {node.urn}: parent_urn "
                            f"{node.parent_urn} is not a node of this framework")
    if problems:
        raise ImportFailed(problems)
    return nodes


def _node(raw: dict, where: str, problems: list[str]) -> _Node | None:
    urn, parent, assessable = raw.get("urn"), raw.get("parent_urn"), raw.get("assessable")
    count = len(problems)
    if not isinstance(urn, str) or not urn.strip():
        problems.append(f"{where}: no urn")
    if parent is not None and not isinstance(parent, str):
        problems.append(f"{where}: parent_urn must be a text")
    if not isinstance(assessable, bool):
        problems.append(f"{where}: assessable must be true or false")
    if len(problems) > count:
        return None
    groups = raw.get("implementation_groups")
    groups = groups if isinstance(groups, list) else []
    name = _text(raw.get("name"))
    return _Node(urn=urn.strip(), ref_id=_text(raw.get("ref_id")),
                 parent_urn=parent.strip() if parent else None, assessable=assessable,
                 name=name or _short(_text(raw.get("description"))), titled=name is not None,
                 groups=frozenset(str(group).casefold() for group in groups),
                 line=getattr(raw, "line", 0))


def _text(value) -> str | None:
    """A scalar as one clean line of text, or None when there is nothing."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = " ".join(str(value).split())
    return text or None


def _short(text: str | None) -> str | None:
    if text is None or len(text) <= TITLE_FALLBACK_LENGTH:
        return text
    return text[:TITLE_FALLBACK_LENGTH].rsplit(" ", 1)[0] + " …"


def _item_ids(nodes: list[_Node]) -> dict[str, str]:
    """ref_id where it is unique, else the urn's last segment, else the whole urn."""
    taken: set[str] = set()
    ids = {}
    for node in nodes:
        tail = node.urn.rsplit(":", 1)[-1].strip()
        for candidate in (node.ref_id, tail, node.urn):
            if candidate and candidate not in taken:
                break
        ids[node.urn] = candidate
        taken.add(candidate)
    return ids


def _is_annex(node: _Node, ids: dict[str, str]) -> bool:
    label = f"{ids[node.urn]} {node.name or ''}".casefold()
    return (bool(ANNEX_ID.match(ids[node.urn])) or bool(node.groups & CONTROL_GROUPS)
            or bool(ANNEX_A.search(label)))


def _kinds(nodes: list[_Node], ids: dict[str, str]) -> dict[str, Kind]:
    """Controls: Annex A-style nodes and everything below them; clauses: the rest."""
    by_urn = {node.urn: node for node in nodes}
    kinds: dict[str, Kind] = {}

    def kind_of(node: _Node, below: tuple[str, ...] = ()) -> Kind:
        if node.urn not in kinds:
            chain = (*below, node.urn)
            parent = by_urn.get(node.parent_urn) if node.parent_urn else None
            inherited = parent is not None and parent.urn not in chain \
                and kind_of(parent, chain) is Kind.CONTROL
            kinds[node.urn] = Kind.CONTROL if inherited or _is_annex(node, ids) else Kind.CLAUSE
        return kinds[node.urn]

    for node in nodes:
        kind_of(node)
    return kinds


def _render(data: dict, framework: dict, nodes: list[_Node], ids: dict[str, str]) -> str:
    kinds = _kinds(nodes, ids)
    lines = [
        "# Imported from a CISO Assistant framework library by `auditkit checklists import`.",
        f"# Library: {_comment(data.get('urn'))}, version {_comment(data.get('version'))}, "
        f"provider {_comment(data.get('provider'))}.",
        f"# Copyright notice of the library: {_comment(data.get('copyright'))}",
        f"framework: {_quoted(_slug(framework, data))}",
        f"edition: {_quoted(_edition(framework))}",
        "items:",
    ]
    for node in nodes:
        title = node.name or ids[node.urn]
        lines += [
            f"  - id: {_quoted(ids[node.urn])}",
            f"    title: {_quoted(title)}",
            f"    kind: {kinds[node.urn]}",
            f"    parent: {_quoted(ids[node.parent_urn]) if node.parent_urn else 'null'}",
            f"    assessable: {'true' if node.assessable else 'false'}",
        ]
        if not node.titled:
            lines.append("    untitled: true")
    return "\n".join(lines) + "\n"


def _slug(framework: dict, data: dict) -> str:
    for source in (framework.get("urn"), data.get("urn"), framework.get("ref_id")):
        text = _text(source)
        if text:
            slug = re.sub(r"[^a-z0-9._-]+", "-", text.rsplit(":", 1)[-1].casefold())
            slug = slug.strip("-._")
            if slug:
                return slug
    return "imported"


def _edition(framework: dict) -> str:
    return _text(framework.get("name")) or _text(framework.get("ref_id")) or "imported framework"


def _comment(value) -> str:
    text = _text(value) or "not given"
    return "".join(c if _PRINTABLE.fullmatch(c) else "?" for c in text)


# YAML forbids these characters even inside quotes; they are written as escapes.
_PRINTABLE = re.compile("[\x09\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly `text`."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\t":
            out.append("\\t")
        elif _PRINTABLE.fullmatch(char) and char not in "\u2028\u2029":
            out.append(char)
        elif 0xD800 <= ord(char) <= 0xDFFF:  # a lone surrogate cannot be written as UTF-8
            out.append("\\ufffd")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)
