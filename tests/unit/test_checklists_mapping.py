"""The mapping loader refuses mappings that name unknown items, headings, or leave a pair of
same-numbered clauses unstated (domain.md 2.5)."""

from pathlib import Path

import pytest

from auditkit.standards.loader import check_checklist
from auditkit.standards.mapping import ItemRef, Relation, load_mapping
from auditkit.standards.model import Source


def checklist(key, *ids, headings=()):
    lines = ["framework: demo", 'edition: "Demo"', "items:"]
    for item_id in headings:
        lines += [f'  - id: "{item_id}"', '    title: "Heading"', "    kind: clause",
                  "    parent: null", "    assessable: false"]
    for item_id in ids:
        parent = f'"{item_id.split(".")[0]}"' if item_id.split(".")[0] in headings else "null"
        lines += [f'  - id: "{item_id}"', f'    title: "Item {item_id}"', "    kind: clause",
                  f"    parent: {parent}", "    assessable: true"]
    result = check_checklist("\n".join(lines).encode(), Path(f"{key}.yaml"), Source.BODY)
    assert result.ok, result.problems
    return result.checklist


CHECKLISTS = {
    "ai": checklist("ai", "4.1", "6.1.2", headings=("4", "6")),
    "is": checklist("is", "4.1", "6.1.2", headings=("4", "6")),
    "qm": checklist("qm", "4.1", "10.3", headings=("4", "10")),
}

GOOD = """\
checklists: [ai, is, qm]
same_numbering: [ai, is]
shared:
  - topic: "Context"
    items: {ai: ["4.1"], is: ["4.1"], qm: ["4.1"]}
separate:
  - topic: "Risk assessment"
    reason: "Different risks"
    items: {ai: ["6.1.2"], is: ["6.1.2"]}
"""


def load(tmp_path, text):
    path = tmp_path / "mapping-demo.yaml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(path, CHECKLISTS)


def messages(result):
    mapping, problems = result
    assert mapping is None
    return [p.message for p in problems]


def test_a_good_mapping(tmp_path):
    mapping, problems = load(tmp_path, GOOD)
    assert problems == ()
    assert mapping.relation(ItemRef("ai", "4.1"), ItemRef("qm", "4.1")) is Relation.SHARED
    assert mapping.relation(ItemRef("ai", "6.1.2"), ItemRef("is", "6.1.2")) is \
        Relation.NUMBER_ONLY
    assert mapping.relation(ItemRef("ai", "6.1.2"), ItemRef("qm", "10.3")) is None
    [question] = mapping.shared_questions_for(["ai", "qm"])
    assert question.items == (ItemRef("ai", "4.1"), ItemRef("qm", "4.1"))
    assert mapping.shared_questions_for(["ai"]) == ()


@pytest.mark.parametrize(("change", "message"), [
    (("qm: [\"4.1\"]", "qm: [\"4.9\"]"), "qm has no item '4.9'"),
    (("qm: [\"4.1\"]", "qm: [\"4\"]"), "qm 4 is not an assessable clause"),
    (("checklists: [ai, is, qm]", "checklists: [ai, is, xx]"), "checklist 'xx' is not loaded"),
    (("is: [\"4.1\"], qm", "is: [\"4.1\"], xx"), "'xx' is not in checklists"),
    (("    items: {ai: [\"6.1.2\"], is: [\"6.1.2\"]}", "    items: {ai: [\"6.1.2\"]}"),
     "items: needs at least one entry"),
    (("separate:\n", "separate: []\nx:\n"), "unknown field 'x'"),
])
def test_broken_mappings_are_refused(tmp_path, change, message):
    found = messages(load(tmp_path, GOOD.replace(*change)))
    assert any(message in m for m in found), found


def test_a_same_numbered_pair_must_be_stated(tmp_path):
    text = GOOD.split("separate:")[0]
    found = messages(load(tmp_path, text))
    assert found == ["clause 6.1.2 is in ai and is: say whether it is shared or separate"]


def test_an_item_is_in_one_shared_question_only(tmp_path):
    text = GOOD.replace("separate:", """\
  - topic: "Context again"
    items: {ai: ["4.1"], qm: ["10.3"]}
separate:""")
    found = messages(load(tmp_path, text))
    assert found == ["ai 4.1 is in two shared questions (Context; Context again)"]


def test_a_pair_cannot_be_shared_and_separate(tmp_path):
    text = GOOD + """\
  - topic: "Context, separately"
    reason: "Contradiction"
    items: {ai: ["4.1"], is: ["4.1"]}
"""
    found = messages(load(tmp_path, text))
    assert found == ["ai 4.1 and is 4.1 are listed as both shared and separate"]


def test_malformed_mapping_names_the_line(tmp_path):
    mapping, [problem] = load(tmp_path, GOOD.replace('topic: "Context"', 'topic: "Context'))
    assert mapping is None and problem.message.startswith("malformed YAML")
    assert problem.line is not None
