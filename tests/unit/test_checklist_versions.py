"""The content hash that identifies a checklist version: the same content gives the same id
wherever the file is and however its YAML is laid out; any visible change gives a new one; and
stored content rebuilds the same checklist."""

import hashlib
from dataclasses import replace
from pathlib import Path

from auditkit.standards.catalogue import shipped_dir
from auditkit.standards.loader import load_checklist
from auditkit.standards.model import Checklist, Guidance, Item, Kind, Source
from auditkit.standards.versions import (
    checklist_for,
    checklist_from_json,
    content_hash,
    content_json,
)

SMALL = Checklist(
    key="demo-1", framework="demo", edition="Demo:1", source=Source.BODY,
    path=Path("demo-1.yaml"),
    items=(Item(id="4", title="Context", kind=Kind.CLAUSE, parent=None, assessable=False,
                children=("4.1",)),
           Item(id="4.1", title="Issues", kind=Kind.CLAUSE, parent="4", assessable=True, depth=1,
                guidance=Guidance(question="Q?", evidence=("E",), sample=("S",),
                                  interview=("I",)))))
# Written down once: a change of serialisation would orphan every stored version id.
SMALL_HASH = "6e60d378f9d7760d66ffb34726f6d6254c11c5c93197863784c7fd582bea623d"

BODY_FILE = """\
framework: demo
edition: "Demo:1"
items:
  - {id: "4", title: "Context", kind: clause, parent: null, assessable: false}
  - {id: "4.1", title: "Issues", kind: clause, parent: "4", assessable: true}
"""
SAME_CONTENT_OTHER_LAYOUT = """\
# a comment, other quoting and spacing: the loaded content is the same
framework:   demo
edition: 'Demo:1'
items:
  - id: '4'
    title: Context
    kind: clause
    parent: null
    assessable: false

  - id: '4.1'
    title: Issues
    kind: clause
    parent: '4'
    assessable: true
"""


def test_the_hash_of_a_known_checklist_never_changes():
    assert content_hash(SMALL) == SMALL_HASH
    assert hashlib.sha256(content_json(SMALL).encode()).hexdigest() == SMALL_HASH


def test_same_content_same_hash_wherever_the_file_is(tmp_path):
    one, two = tmp_path / "a" / "demo-1.yaml", tmp_path / "b" / "demo-1.yaml"
    for path, text in ((one, BODY_FILE), (two, SAME_CONTENT_OTHER_LAYOUT)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    first, second = (load_checklist(p, Source.BODY).checklist for p in (one, two))
    assert content_hash(first) == content_hash(second)
    assert content_hash(first) == content_hash(load_checklist(one, Source.BODY).checklist)


def test_every_visible_change_gives_a_new_hash():
    item = SMALL.items[1]
    changes = [
        replace(SMALL, edition="Demo:2"),
        replace(SMALL, key="demo-2"),
        replace(SMALL, items=(SMALL.items[0], replace(item, title="Issues and context"))),
        replace(SMALL, items=(SMALL.items[0], replace(item, untitled=True))),
        replace(SMALL, items=(SMALL.items[0], replace(item, guidance=replace(
            item.guidance, sample=("S", "Another sample"))))),
        replace(SMALL, items=(SMALL.items[0],)),
    ]
    hashes = {content_hash(changed) for changed in changes}
    assert len(hashes) == len(changes) and SMALL_HASH not in hashes


def test_stored_content_rebuilds_the_same_checklist():
    for path in sorted(shipped_dir().glob("iso*.yaml")):
        loaded = load_checklist(path, Source.SHIPPED).checklist
        rebuilt = checklist_from_json(content_json(loaded))
        assert rebuilt.items == loaded.items
        assert (rebuilt.key, rebuilt.framework, rebuilt.edition, rebuilt.source) == (
            loaded.key, loaded.framework, loaded.edition, loaded.source)
        assert content_hash(rebuilt) == content_hash(loaded)


def test_a_scheme_gets_the_shipped_checklist_unless_its_edition_is_the_bodys_own():
    shipped = replace(SMALL, key="demo-2023", edition="Demo:2023", source=Source.SHIPPED)
    own = replace(SMALL, key="demo-2027", edition="Demo:2027", source=Source.BODY)
    assert checklist_for("demo", "Demo:2023", [own, shipped]) is shipped
    assert checklist_for("demo", "anything else", [own, shipped]) is shipped
    assert checklist_for("demo", " demo:2027 ", [shipped, own]) is own
    assert checklist_for("other", "Demo:2023", [own, shipped]) is None
