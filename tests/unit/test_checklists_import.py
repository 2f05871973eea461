"""Importing CISO Assistant framework libraries (shared/reference/ciso-assistant-format.md):
every requirement node kept, ids from ref_id or urn, tree and assessability kept, and the
result loads as a checklist."""

from pathlib import Path

import pytest

from auditkit.standards.ciso_assistant import ImportFailed, convert
from auditkit.standards.loader import check_checklist
from auditkit.standards.model import Kind, Source

SLUG = "demo-isms-2022"
URN = f"urn:intuitem:risk:req_node:{SLUG}"


def node(ref, parent=None, *, assessable, name=None, ref_id=True, extra=""):
    lines = [f"    - urn: {URN}:{ref.lower()}", f"      assessable: {str(assessable).lower()}",
             "      depth: 1"]
    if parent:
        lines.append(f"      parent_urn: {URN}:{parent.lower()}")
    if ref_id:
        lines.append(f"      ref_id: '{ref}'")
    if name:
        lines.append(f"      name: {name}")
    return "\n".join(lines) + "\n" + extra


def library(*nodes, header=""):
    return (f"""\
urn: urn:intuitem:risk:library:{SLUG}
locale: en
ref_id: {SLUG}
name: Demo ISMS library
description: A small library written for this test.
copyright: Written for auditkit's tests
version: 18
publication_date: 2024-10-01
provider: Test provider
packager: tests
{header}objects:
  framework:
    urn: urn:intuitem:risk:framework:{SLUG}
    ref_id: "Demo ISMS:2022"
    name: "Demo ISMS 2022"
    min_score: 0
    max_score: 5
    implementation_groups_definition:
    - ref_id: SoA
      name: Statement of applicability
    requirement_nodes:
""" + "".join(nodes)).encode("utf-8")


ISO_LIKE = library(
    node("core", assessable=False, name="Management system clauses"),
    node("4", "core", assessable=False, name="Context of the organization"),
    node("4.1", "4", assessable=True, name="Understanding the organization",
         extra="      description: Some text.\n      implementation_groups: [Clauses]\n"
               "      translations:\n        fr: {name: Comprendre}\n"),
    node("annex-a", assessable=False, name="Annex A reference controls"),
    node("A.5", "annex-a", assessable=False, name="Organizational controls"),
    node("A.5.1", "A.5", assessable=True, name="Policies for information security",
         extra="      implementation_groups: [SoA]\n"
               f"      reference_controls: [urn:intuitem:risk:function:{SLUG}:x]\n"),
    node("A.5.2", "A.5", assessable=True, name="Roles and responsibilities"),
)


def load(converted, key="imported"):
    result = check_checklist(converted.text.encode("utf-8"), Path(f"{key}.yaml"), Source.BODY)
    assert result.ok, [str(p) for p in result.problems]
    return result.checklist


def test_every_node_is_kept_with_its_tree_and_assessability():
    converted = convert(ISO_LIKE, "demo.yaml")
    checklist = load(converted)
    assert (converted.items, converted.assessable, converted.derived_ids) == (7, 3, 0)
    assert [i.id for i in checklist.items] == ["core", "4", "4.1", "annex-a", "A.5", "A.5.1",
                                               "A.5.2"]
    assert [(i.id, i.parent, i.assessable) for i in checklist.items][:3] == [
        ("core", None, False), ("4", "core", False), ("4.1", "4", True)]
    assert checklist.item("A.5.1").title == "Policies for information security"
    assert checklist.framework == SLUG and checklist.edition == "Demo ISMS 2022"
    assert all(item.guidance is None for item in checklist.items)


def test_annex_nodes_become_controls_subject_to_the_soa():
    checklist = load(convert(ISO_LIKE))
    kinds = {item.id: item.kind for item in checklist.items}
    assert kinds == {"core": Kind.CLAUSE, "4": Kind.CLAUSE, "4.1": Kind.CLAUSE,
                     "annex-a": Kind.CONTROL, "A.5": Kind.CONTROL, "A.5.1": Kind.CONTROL,
                     "A.5.2": Kind.CONTROL}
    assert [i.id for i in checklist.soa_items] == ["A.5.1", "A.5.2"]


def test_ids_are_written_as_quoted_strings():
    text = convert(ISO_LIKE).text
    assert '  - id: "4.1"' in text and 'parent: "4"' in text
    assert "# Copyright notice of the library: Written for auditkit's tests" in text


def test_a_node_without_ref_id_gets_an_id_from_its_urn():
    converted = convert(library(
        node("chapter", assessable=False, name="Chapter one"),
        node("node3", "chapter", assessable=True, ref_id=False,
             extra="      description: Keep the register of assets up to date and reviewed "
                   "by its owner at least once a year and after every change.\n"),
        node("node4", "chapter", assessable=True, ref_id=False, name="Named without ref"),
    ))
    checklist = load(converted)
    assert converted.derived_ids == 2
    third = checklist.item("node3")
    assert third.parent == "chapter" and third.untitled
    assert third.title.startswith("Keep the register of assets") and third.title.endswith("…")
    assert len(third.title) <= 82
    assert checklist.item("node4").title == "Named without ref"
    assert not checklist.item("node4").untitled


def test_a_repeated_ref_id_falls_back_to_the_urn():
    converted = convert(library(
        node("s1", assessable=False, name="Section one"),
        node("s1.a", "s1", assessable=True, name="First", extra=""),
        node("s2", assessable=False, name="Section two"),
        node("s2.a", "s2", assessable=True, name="Second").replace("ref_id: 's2.a'",
                                                                   "ref_id: 's1.a'"),
    ))
    checklist = load(converted)
    assert [i.id for i in checklist.items] == ["s1", "s1.a", "s2", "s2.a"]
    assert checklist.item("s2.a").parent == "s2" and converted.derived_ids == 1


def test_text_that_needs_escaping_reads_back_unchanged():
    source = r'"\"Quotes\", back\\slash, bell\a, line\u2028break, é ✓"'
    converted = convert(library(node("1", assessable=True, name=source)))
    # line breaks become spaces (titles are one line); everything else is kept
    assert load(converted).item("1").title == '"Quotes", back\\slash, bell\a, line break, é ✓'


@pytest.mark.parametrize(("raw", "message"), [
    (b"objects: [\n", "malformed YAML"),
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"- a list\n", "no top-level mapping"),
    (b"urn: x\nobjects:\n  reference_controls: []\n", "holds no framework (it holds "
                                                       "reference_controls)"),
    (library(), "has no requirement_nodes"),
    (library(node("4", "3", assessable=True)), "parent_urn " + URN + ":3 is not a node"),
    (library(node("4", assessable=True), node("4", assessable=True)), "duplicate urn"),
    (library(node("4", assessable=True).replace("assessable: true", "assessable: 'yes'")),
     "assessable must be true or false"),
    (library(node("4", assessable=True).replace("    - urn: ", "    - not_urn: ")), "no urn"),
    (library(node("4", assessable=True), node("4.1", "4", assessable=True)),
     "is assessable but has children"),
])
def test_broken_input_is_refused_with_the_reason(raw, message):
    with pytest.raises(ImportFailed) as failure:
        convert(raw, "lib.yaml")
    assert any(message in problem for problem in failure.value.problems), \
        failure.value.problems
    assert all(problem.startswith("lib.yaml") for problem in failure.value.problems)
