"""Finding items in a checklist by id or by words, and the tree the browser shows."""

from dataclasses import dataclass

from auditkit.standards.model import Checklist, Item


def matches_id(item: Item, query: str) -> bool:
    """The id itself (A.7.4) or an id prefix ending at a dot (A.7 finds A.7 and A.7.x, not
    A.70); case ignored."""
    item_id, wanted = item.id.casefold(), query.strip().casefold().rstrip(".")
    return bool(wanted) and (item_id == wanted or item_id.startswith(wanted + "."))


def matches_words(item: Item, query: str) -> bool:
    """Every word of the query appears in the title or the guidance; case ignored."""
    text = " ".join((item.title, *(item.guidance.texts() if item.guidance else ()))).casefold()
    return all(word in text for word in query.casefold().split())


def search(checklist: Checklist, query: str) -> tuple[Item, ...]:
    """Items whose id the query names; when it names none, items containing its words (so
    "A.7" finds the A.7 group, not every guidance text that mentions A.7)."""
    if not query.strip():
        return checklist.items
    by_id = tuple(item for item in checklist.items if matches_id(item, query))
    return by_id or tuple(item for item in checklist.items if matches_words(item, query))


@dataclass(frozen=True)
class TreeNode:
    item: Item
    matched: bool
    children: tuple["TreeNode", ...]


def tree(checklist: Checklist, query: str = "") -> tuple[TreeNode, ...]:
    """The checklist as nested nodes. With a query: the matching items and, for context, the
    headings above them (matched=False)."""
    found = {item.id for item in search(checklist, query)} if query.strip() else None
    if found is None:
        shown = {item.id for item in checklist.items}
    else:
        shown = set(found)
        for item_id in found:
            shown.update(a.id for a in checklist.ancestors(checklist.item(item_id)))

    def node(item: Item) -> TreeNode:
        children = tuple(node(c) for c in checklist.children_of(item) if c.id in shown)
        return TreeNode(item, found is not None and item.id in found, children)

    return tuple(node(item) for item in checklist.roots if item.id in shown)
