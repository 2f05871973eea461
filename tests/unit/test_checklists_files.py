"""The shipped checklist files themselves (domain.md section 7): counts, ids, parents,
guidance, and the harmonized-structure mapping between them."""

import json
import re

import pytest

from auditkit.standards.catalogue import (
    HARMONIZED_MAPPING,
    load_catalogue,
    shipped_checklists,
    shipped_dir,
)
from auditkit.standards.loader import load_checklist
from auditkit.standards.mapping import ItemRef, Relation, load_mapping
from auditkit.standards.model import Kind, Source
from auditkit.standards.schema import json_schema

AIMS, ISMS, QMS = "iso42001-2023", "iso27001-2022", "iso9001-2015"
SHIPPED = (AIMS, ISMS, QMS)

# domain.md section 7: 42001 Annex A groups and their controls
AIMS_ANNEX_A = {
    "A.2": ["A.2.2", "A.2.3", "A.2.4"],
    "A.3": ["A.3.2", "A.3.3"],
    "A.4": ["A.4.2", "A.4.3", "A.4.4", "A.4.5", "A.4.6"],
    "A.5": ["A.5.2", "A.5.3", "A.5.4", "A.5.5"],
    "A.6.1": ["A.6.1.2", "A.6.1.3"],
    "A.6.2": ["A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.7", "A.6.2.8"],
    "A.7": ["A.7.2", "A.7.3", "A.7.4", "A.7.5", "A.7.6"],
    "A.8": ["A.8.2", "A.8.3", "A.8.4", "A.8.5"],
    "A.9": ["A.9.2", "A.9.3", "A.9.4"],
    "A.10": ["A.10.2", "A.10.3", "A.10.4"],
}
ISMS_ANNEX_A = {"A.5": 37, "A.6": 8, "A.7": 14, "A.8": 34}


@pytest.fixture(scope="module")
def results():
    """Read afresh (not the process cache), as shipped files with every rule applied."""
    return {key: load_checklist(shipped_dir() / f"{key}.yaml", Source.SHIPPED)
            for key in SHIPPED}


@pytest.fixture(scope="module")
def checklists(results):
    for key, result in results.items():
        blocking = [str(p) for p in result.problems if p.blocking]
        assert result.checklist is not None, f"{key} does not load: {blocking}"
    return {key: result.checklist for key, result in results.items()}


def controls(checklist):
    return [item for item in checklist.items if item.kind is Kind.CONTROL and item.assessable]


def test_exactly_the_three_schemes_are_shipped():
    assert sorted(c.key for c in shipped_checklists()) == sorted(SHIPPED)


def test_framework_and_edition(checklists):
    assert (checklists[AIMS].framework, checklists[AIMS].edition) == \
        ("iso42001", "ISO/IEC 42001:2023")
    assert (checklists[ISMS].framework, checklists[ISMS].edition) == \
        ("iso27001", "ISO/IEC 27001:2022")
    assert (checklists[QMS].framework, checklists[QMS].edition) == ("iso9001", "ISO 9001:2015")


def test_42001_has_38_annex_a_controls_in_groups_a2_to_a10(checklists):
    aims = checklists[AIMS]
    found = controls(aims)
    assert len(found) == 38
    by_parent = {}
    for item in found:
        by_parent.setdefault(item.parent, []).append(item.id)
    assert by_parent == AIMS_ANNEX_A
    assert [i.id for i in aims.roots if i.kind is Kind.CONTROL] == \
        [f"A.{n}" for n in range(2, 11)]
    assert {aims.item("A.6.1").parent, aims.item("A.6.2").parent} == {"A.6"}
    # numbering starts at .2 in every group: the .1 position is the control objective
    assert not any(re.fullmatch(r"A\.(\d+\.)*1", item.id) for item in found)


def test_42001_annex_a_group_counts_of_domain_md(checklists):
    counts = {group: 0 for group in (f"A.{n}" for n in range(2, 11))}
    for item in controls(checklists[AIMS]):
        counts[".".join(item.id.split(".")[:2])] += 1
    assert counts == {"A.2": 3, "A.3": 2, "A.4": 5, "A.5": 4, "A.6": 9, "A.7": 5, "A.8": 4,
                      "A.9": 3, "A.10": 3}


def test_27001_has_93_controls_37_8_14_34(checklists):
    isms = checklists[ISMS]
    found = controls(isms)
    assert len(found) == 93
    for group, count in ISMS_ANNEX_A.items():
        ids = [item.id for item in found if item.parent == group]
        assert ids == [f"{group}.{n}" for n in range(1, count + 1)], group
        assert isms.item(group).assessable is False


def test_27001_clauses_include_planning_of_changes_and_improvement(checklists):
    isms = checklists[ISMS]
    assert isms.item("6.3").title == "Planning of changes"
    assert isms.item("10.1").title == "Continual improvement"
    assert isms.item("10.2").title == "Nonconformity and corrective action"
    assert [i.id for i in isms.children_of(isms.item("6.1"))] == ["6.1.1", "6.1.2", "6.1.3"]


def test_42001_planning_clause_has_its_four_subclauses(checklists):
    aims = checklists[AIMS]
    assert [i.id for i in aims.children_of(aims.item("6.1"))] == \
        ["6.1.1", "6.1.2", "6.1.3", "6.1.4"]
    assert aims.item("6.1.4").title == "AI system impact assessment"


def test_9001_has_clauses_4_to_10_and_no_controls(checklists):
    qms = checklists[QMS]
    assert [i.id for i in qms.roots] == [str(n) for n in range(4, 11)]
    assert all(item.kind is Kind.CLAUSE for item in qms.items)
    assert [i.id for i in qms.children_of(qms.item("10"))] == ["10.1", "10.2", "10.3"]
    assert qms.item("10.3").title == "Continual improvement"
    untitled = {item.id for item in qms.items if item.untitled}
    assert untitled == {"4.4.1", "4.4.2", "6.1.1", "6.1.2", "6.2.1", "6.2.2", "7.5.3.1",
                        "7.5.3.2", "8.2.3.1", "8.2.3.2", "8.7.1", "8.7.2", "9.2.1", "9.2.2",
                        "10.2.1", "10.2.2"}


@pytest.mark.parametrize("key", SHIPPED)
def test_clauses_4_to_10_are_the_top_clause_headings(checklists, key):
    clause_roots = [i.id for i in checklists[key].roots if i.kind is Kind.CLAUSE]
    assert clause_roots == [str(n) for n in range(4, 11)]


@pytest.mark.parametrize("key", SHIPPED)
def test_every_parent_exists_and_headings_are_not_assessable(checklists, key):
    checklist = checklists[key]
    for item in checklist.items:
        if item.parent is not None:
            assert item.parent in checklist, item.id
            assert item.depth == checklist.item(item.parent).depth + 1
        assert not (item.assessable and item.children), item.id


@pytest.mark.parametrize("key", SHIPPED)
def test_ids_are_unique_strings_in_document_order(checklists, key):
    ids = [item.id for item in checklists[key].items]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"(A\.)?\d+(\.\d+)*", item_id) for item_id in ids)


def test_statement_of_applicability_covers_the_annex_a_controls_only(checklists):
    assert len(checklists[AIMS].soa_items) == 38
    assert len(checklists[ISMS].soa_items) == 93
    assert checklists[QMS].soa_items == ()
    assert checklists[ISMS].item("A.7.4").soa_applicable
    assert not checklists[ISMS].item("6.1.3").soa_applicable
    assert not checklists[AIMS].item("A.6.1").soa_applicable  # a heading in 42001


@pytest.mark.parametrize("key", SHIPPED)
def test_every_assessable_item_has_guidance(results, key):
    """The contract with the guidance writers (preamble): question, evidence, sample,
    interview on every assessable item; ai_focus on 42001 items only; none on headings."""
    problems = [str(p) for p in results[key].problems]
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(problems[:10])
    checklist = results[key].checklist
    for item in checklist.items:
        assert (item.guidance is not None) == item.assessable, item.id
        if item.guidance is not None:
            assert bool(item.guidance.ai_focus) == (key == AIMS), item.id


def test_the_mapping_loads_against_the_shipped_checklists(checklists):
    mapping, problems = load_mapping(shipped_dir() / HARMONIZED_MAPPING, checklists)
    assert problems == ()
    assert mapping.checklists == (AIMS, ISMS, QMS)


@pytest.fixture(scope="module")
def mapping(checklists):
    found, problems = load_mapping(shipped_dir() / HARMONIZED_MAPPING, checklists)
    assert problems == ()
    return found


@pytest.mark.parametrize(("a", "b", "relation"), [
    ((AIMS, "4.1"), (ISMS, "4.1"), Relation.SHARED),
    ((AIMS, "4.1"), (QMS, "4.1"), Relation.SHARED),
    ((AIMS, "9.3.2"), (ISMS, "9.3.2"), Relation.SHARED),
    ((AIMS, "6.1.2"), (ISMS, "6.1.2"), Relation.NUMBER_ONLY),  # AI vs information security
    ((AIMS, "6.1.3"), (ISMS, "6.1.3"), Relation.NUMBER_ONLY),
    ((AIMS, "8.2"), (ISMS, "8.2"), Relation.NUMBER_ONLY),
    ((AIMS, "8.3"), (ISMS, "8.3"), Relation.NUMBER_ONLY),
    ((AIMS, "8.4"), (ISMS, "8.3"), None),  # 42001 impact assessment has no 27001 counterpart
    ((QMS, "10.2.1"), (ISMS, "10.2"), Relation.SHARED),  # 9001 maps by topic
    ((QMS, "10.3"), (AIMS, "10.1"), Relation.SHARED),
    ((QMS, "10.1"), (AIMS, "10.1"), None),
    ((QMS, "7.5.3.2"), (ISMS, "7.5.3"), Relation.SHARED),
    ((QMS, "9.2.2"), (AIMS, "9.2.2"), Relation.SHARED),
    ((QMS, "8.2.1"), (AIMS, "8.2"), None),
])
def test_pairs_are_shared_or_only_share_the_number(mapping, a, b, relation):
    assert mapping.relation(ItemRef(*a), ItemRef(*b)) is relation
    assert mapping.relation(ItemRef(*b), ItemRef(*a)) is relation


def test_every_common_42001_27001_clause_is_stated(mapping, checklists):
    common = [i.id for i in checklists[AIMS].assessable_items if i.kind is Kind.CLAUSE
              and i.id in checklists[ISMS] and checklists[ISMS].item(i.id).assessable]
    assert len(common) == 30
    for item_id in common:
        assert mapping.relation(ItemRef(AIMS, item_id), ItemRef(ISMS, item_id)) is not None


def test_an_integrated_audit_asks_each_shared_question_once(mapping):
    questions = mapping.shared_questions_for([AIMS, ISMS])
    assert len(questions) == 26
    asked = [ref for q in questions for ref in q.items]
    assert len(asked) == len(set(asked))
    assert all(q.checklists == {AIMS, ISMS} for q in questions)
    assert ItemRef(AIMS, "6.1.2") not in asked
    nonconformity = mapping.shared_question(ItemRef(QMS, "10.2.2"))
    assert nonconformity.items_of(QMS) == ("10.2.1", "10.2.2")
    assert nonconformity.items_of(ISMS) == ("10.2",)


def test_the_committed_json_schema_is_generated_from_the_models():
    """checklists/schema.json is regenerated with `python -m auditkit.standards.schema`."""
    committed = json.loads((shipped_dir() / "schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema()


def test_start_up_catalogue_holds_the_shipped_checklists_once(tmp_path):
    first, second = load_catalogue(tmp_path), load_catalogue(tmp_path)
    assert [c.key for c in first.checklists] == sorted(SHIPPED)
    assert first.checklists[0] is second.checklists[0]  # read once per process
    assert first.mapping is not None
