"""Finding items by id or word, and the tree the browser shows around them."""

from pathlib import Path

import pytest

from auditkit.standards.loader import check_checklist
from auditkit.standards.model import Source
from auditkit.standards.search import matches_id, search, tree

TEXT = """\
framework: demo
edition: "Demo"
items:
  - {id: "A.7", title: "Data for AI systems", kind: control, parent: null, assessable: false}
  - {id: "A.7.4", title: "Quality of data", kind: control, parent: "A.7", assessable: true,
     guidance: {question: "Are datasets checked?", evidence: ["Quality reports"],
                sample: ["Two datasets"], interview: ["Data engineer"]}}
  - {id: "A.7.40", title: "Imaginary forty", kind: control, parent: "A.7", assessable: true}
  - {id: "A.8", title: "Information for interested parties", kind: control, parent: null,
     assessable: false}
  - {id: "A.8.2", title: "System documentation", kind: control, parent: "A.8", assessable: true,
     guidance: {question: "Does the documentation cover the data of A.7.4?",
                evidence: ["Manuals"], sample: ["One system"], interview: ["Writer"]}}
"""


@pytest.fixture(scope="module")
def checklist():
    result = check_checklist(TEXT.encode(), Path("demo.yaml"), Source.BODY)
    assert result.ok, result.problems
    return result.checklist


def ids(items):
    return [item.id for item in items]


@pytest.mark.parametrize(("query", "expected"), [
    ("A.7.4", ["A.7.4"]),                      # not A.7.40, nor A.8.2 citing A.7.4
    ("a.7.4", ["A.7.4"]),
    ("A.7", ["A.7", "A.7.4", "A.7.40"]),
    ("A.7.", ["A.7", "A.7.4", "A.7.40"]),
    ("quality", ["A.7.4"]),
    ("data ENGINEER", ["A.7.4"]),              # words of the guidance, all of them
    ("data lawyer", []),
    ("documentation", ["A.8.2"]),
    ("a.7.4?", ["A.8.2"]),                     # no such id: then it is a word
    ("", ["A.7", "A.7.4", "A.7.40", "A.8", "A.8.2"]),
])
def test_search(checklist, query, expected):
    assert ids(search(checklist, query)) == expected


def test_matches_an_id_only_at_a_dot_boundary(checklist):
    assert not matches_id(checklist.item("A.7.40"), "A.7.4")
    assert matches_id(checklist.item("A.7.40"), "a.7.")
    assert not matches_id(checklist.item("A.7"), ".")


def test_tree_keeps_the_headings_above_a_match(checklist):
    [root] = tree(checklist, "A.7.4")
    assert (root.item.id, root.matched) == ("A.7", False)
    [child] = root.children
    assert (child.item.id, child.matched, child.children) == ("A.7.4", True, ())


def test_tree_without_a_query_shows_everything_unmarked(checklist):
    roots = tree(checklist)
    assert ids(node.item for node in roots) == ["A.7", "A.8"]
    assert ids(node.item for node in roots[0].children) == ["A.7.4", "A.7.40"]
    assert not any(node.matched for node in roots)


def test_tree_of_a_search_without_matches_is_empty(checklist):
    assert tree(checklist, "nothing like this") == ()
