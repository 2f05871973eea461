"""The checklist loader on good and broken files: every problem names the file, the item (or
its position), the line and what is wrong."""

import dataclasses
from pathlib import Path

import pytest

from auditkit.standards.catalogue import load_catalogue, scan
from auditkit.standards.loader import check_checklist, load_checklist
from auditkit.standards.model import Kind, Source

GUIDANCE = """\
    guidance:
      question: "Is the thing done?"
      evidence: ["Records of the thing"]
      sample: ["Three records from the last year"]
      interview: ["Owner of the thing"]
"""
AI_FOCUS = """\
      ai_focus: ["Data provenance of the model"]
"""


def item(item_id, parent=None, *, assessable=True, kind="clause", guidance=GUIDANCE, extra=""):
    parent_value = "null" if parent is None else f'"{parent}"'
    text = (f'  - id: "{item_id}"\n    title: "Title of {item_id}"\n    kind: {kind}\n'
            f"    parent: {parent_value}\n    assessable: {'true' if assessable else 'false'}\n")
    return text + extra + (guidance if assessable and guidance else "")


def checklist_text(*items, framework="demo"):
    return f'framework: {framework}\nedition: "Demo 2024"\nitems:\n' + "".join(items)


GOOD = checklist_text(item("4", assessable=False), item("4.1", "4"), item("4.2", "4"),
                      item("A.5", assessable=False, kind="control"),
                      item("A.5.1", "A.5", kind="control"))


def line_of(text, needle):
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def load(text, source=Source.BODY, name="demo.yaml"):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return check_checklist(raw, Path(name), source)


def only_problem(result):
    assert result.checklist is None
    assert len(result.problems) == 1, [str(p) for p in result.problems]
    return result.problems[0]


def test_a_good_file_loads_into_immutable_objects():
    result = load(GOOD)
    assert result.ok and result.problems == ()
    checklist = result.checklist
    assert checklist.key == "demo" and checklist.framework == "demo"
    assert [i.id for i in checklist.items] == ["4", "4.1", "4.2", "A.5", "A.5.1"]
    control = checklist.item("A.5.1")
    assert control.kind is Kind.CONTROL and control.parent == "A.5" and control.depth == 1
    assert control.soa_applicable and not checklist.item("4.1").soa_applicable
    assert checklist.item("4").children == ("4.1", "4.2")
    assert control.guidance.evidence == ("Records of the thing",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        control.title = "changed"
    with pytest.raises(TypeError):
        checklist._by_id["X"] = control
    with pytest.raises(KeyError, match="demo has no item 'A.9'"):
        checklist.item("A.9")


def test_duplicate_id_names_both_lines():
    text = checklist_text(item("4", assessable=False), item("4.1", "4"), item("5", guidance=""),
                          item("4.1", "4"))
    problem = only_problem(load(text))
    first, second = line_of(text, 'id: "4.1"'), line_of(text, 'id: "5"') + 5
    assert problem.item == "4.1"
    assert problem.line == second and f"duplicate id (first at line {first})" in problem.message
    assert str(problem).startswith(f"demo.yaml:{second}: item 4.1: duplicate id")


def test_missing_parent():
    problem = only_problem(load(checklist_text(item("4.1", "4"))))
    assert (problem.item, problem.line) == ("4.1", 4)
    assert problem.message == "parent '4' is not an item of this checklist"


def test_unknown_kind():
    text = checklist_text(item("4", assessable=False, kind="heading"))
    problem = only_problem(load(text))
    assert problem.item == "4"
    assert problem.message == "unknown kind 'heading' (use clause or control)"


def test_parent_cycle_is_reported_once_with_its_path():
    text = checklist_text(item("4", "4.2", assessable=False), item("4.1", "4", assessable=False),
                          item("4.2", "4.1", assessable=False), item("5", assessable=False))
    problem = only_problem(load(text))
    assert problem.item == "4"
    assert "cycle: 4 → 4.2 → 4.1 → 4" in problem.message


def test_an_item_that_is_its_own_parent_is_a_cycle():
    problem = only_problem(load(checklist_text(item("4", "4", assessable=False))))
    assert "cycle: 4 → 4" in problem.message


def test_assessable_heading_with_children():
    text = checklist_text(item("4"), item("4.1", "4"))
    problem = only_problem(load(text))
    assert problem.item == "4"
    assert "is assessable but has children (4.1)" in problem.message


def test_shipped_files_need_guidance_but_the_checklist_still_loads():
    text = checklist_text(item("4", assessable=False), item("4.1", "4", guidance=""))
    shipped = load(text, Source.SHIPPED)
    assert shipped.checklist is not None and not shipped.ok
    [problem] = shipped.problems
    assert (problem.item, problem.blocking) == ("4.1", False)
    assert "guidance is missing" in problem.message
    assert load(text, Source.BODY).ok  # optional in a body's own files
    assert load(text, Source.FILE).ok


def test_42001_guidance_needs_ai_focus_and_others_must_not_have_it():
    without = checklist_text(item("4", assessable=False), item("4.1", "4"))
    with_focus = checklist_text(item("4", assessable=False),
                                item("4.1", "4", guidance=GUIDANCE + AI_FOCUS))
    assert load(with_focus.replace("framework: demo", "framework: iso42001"), Source.SHIPPED).ok
    [missing] = load(without.replace("framework: demo", "framework: iso42001"),
                     Source.SHIPPED).problems
    assert "ai_focus is missing" in missing.message
    [extra] = load(with_focus, Source.SHIPPED).problems
    assert "ISO/IEC 42001 items only" in extra.message


def test_a_heading_carries_no_guidance():
    text = checklist_text(item("4", assessable=False, extra=GUIDANCE), item("4.1", "4"))
    [problem] = load(text).problems
    assert problem.item == "4" and "heading carries no guidance" in problem.message


def test_guidance_lists_need_an_entry():
    text = checklist_text(item("4.1", guidance=GUIDANCE.replace(
        '["Records of the thing"]', "[]")))
    problem = only_problem(load(text))
    assert problem.item == "4.1" and problem.message == "guidance.evidence: needs at least one entry"


def test_malformed_yaml_names_the_line():
    text = GOOD.replace('    title: "Title of 4.2"', '    title: "Title of 4.2" and more')
    problem = only_problem(load(text))
    assert problem.message.startswith("malformed YAML")
    assert problem.line == line_of(text, "Title of 4.2")
    assert f"(line {problem.line}, column 27)" in problem.message


def test_not_utf8_names_the_byte_offset_and_line():
    raw = GOOD.encode("utf-8").replace(b"Title of 4.2", b"Titre \xe9 4.2")
    problem = only_problem(load(raw))
    offset = raw.index(b"\xe9")
    line = line_of(GOOD, "Title of 4.2")
    assert problem.line == line
    assert f"not UTF-8: byte 0xe9 at byte offset {offset} (line {line})" in problem.message


def test_an_unquoted_number_as_id_is_refused_with_a_hint():
    text = checklist_text(item("4", assessable=False)).replace('id: "4"', "id: 4.1")
    problem = only_problem(load(text))
    assert problem.item == "#1"
    assert problem.message == 'id: write it as a quoted string ("4.1"): YAML read it as a number'


def test_unknown_and_missing_fields():
    text = checklist_text(item("4.1", extra="    note: x\n")).replace('    title: "Title of 4.1"\n',
                                                                      "")
    messages = sorted(p.message for p in load(text).problems)
    assert messages == ["title is missing", "unknown field 'note'"]


def test_duplicate_keys_are_refused():
    text = GOOD.replace('    kind: clause\n    parent: "4"\n    assessable: true\n',
                        '    kind: clause\n    kind: control\n    parent: "4"\n'
                        '    assessable: true\n', 1)
    problem = only_problem(load(text))
    assert "duplicate key 'kind'" in problem.message
    assert problem.line == line_of(text, "kind: control")


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("- just\n- a list\n", "the file must be a mapping"),
    ('framework: Demo Framework\nedition: "x"\nitems: []\n', "framework 'Demo Framework'"),
    ('framework: demo\nedition: "x"\nitems: []\n', "items: needs at least one entry"),
])
def test_top_level_shape(text, message):
    result = load(text)
    assert result.checklist is None
    assert any(message in p.message for p in result.problems), [str(p) for p in result.problems]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path):
    result = load_checklist(tmp_path / "gone.yaml")
    assert result.checklist is None and "cannot be read" in result.problems[0].message


def test_body_files_load_beside_the_shipped_ones(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "own-2024.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "broken.yaml").write_text("items: [", encoding="utf-8")
    (folder / "iso42001-2023.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "mapping-own.yaml").write_text("not: a checklist", encoding="utf-8")
    catalogue = load_catalogue(tmp_path)
    own = catalogue.get("own-2024")
    assert own is not None and own.source is Source.BODY
    assert catalogue.get("iso42001-2023").source is Source.SHIPPED
    assert sorted(r.path.name for r in catalogue.rejected) == ["broken.yaml",
                                                              "iso42001-2023.yaml"]
    clash = [p for p in catalogue.problems if "same name as the shipped" in p.message]
    assert len(clash) == 1


def test_scan_reads_given_folders_afresh(tmp_path):
    shipped, body = tmp_path / "shipped", tmp_path / "body"
    shipped.mkdir()
    (shipped / "demo-1.yaml").write_text(checklist_text(item("4.1", guidance="")),
                                         encoding="utf-8")
    catalogue = scan(shipped, body)
    [result] = catalogue.results
    assert result.source is Source.SHIPPED and "guidance is missing" in \
        result.problems[0].message
    assert catalogue.mapping is None and catalogue.mapping_problems == ()
