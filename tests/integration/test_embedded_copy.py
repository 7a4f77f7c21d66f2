"""Values through the embedded store's COPY (CSV files, lists as escaped strings) and
back: every string, empty against null, every list shape (kg/store/embedded_store.py)."""

import pytest

from kg.config import EmbeddedSettings
from kg.graphdoc import GraphDoc
from kg.store import EmbeddedStore
from kg.store.embedded_store import LIST_ESCAPE, LIST_ITEM, LIST_SEPARATOR

STRINGS = [
    "plain",
    "a,b",
    'say "hi"',
    '"',
    '""',
    "line1\nline2",
    "crlf\r\nend",
    "cr\ronly",
    "ünïcødé ✓ 日本",
    "",
    "  spaced  ",
    "\ttab",
    "back\\slash",
    "back\\",
    "'single'",
    "[x]",
    "{a: 1}",
    "NULL",
    "null",
    "\\N",
    LIST_SEPARATOR,
    LIST_ESCAPE + "1",
    LIST_ITEM,
    "x" * 70_000,
]
LISTS = [
    [],
    [""],
    ["", ""],
    ["a", "", "b"],
    ["a,b", 'q"uote', "[br]", "'s'"],
    ["multi\nline", "crlf\r\n"],
    [LIST_SEPARATOR, LIST_ESCAPE, LIST_ITEM, LIST_ESCAPE + "0", LIST_ESCAPE + "1" + LIST_SEPARATOR],
    ["ünïcødé", "✓"],
    ["  sp ", "\\", "\\\\"],
    ["x" * 10_000, "y"],
    None,
]


@pytest.fixture
def store(tmp_path):
    with EmbeddedStore(EmbeddedSettings(tmp_path / "graph")) as opened:
        yield opened


def test_strings_and_lists_come_back_as_they_went_in(store):
    # GraphDoc drops empty strings and lists (loaders never store them); a store must still
    # keep them apart from null (a status write, a graph written by another kg): set them
    # on the records directly
    gd = GraphDoc()
    gd.add_node("Repo", "repo::r", name="r", repo="r")
    for i, text in enumerate(STRINGS + [None]):
        node = gd.add_node("ConfigMap", f"cm{i}", name=f"cm{i}", repo="r", cluster="c", namespace="ns")
        if text is not None:
            node.props["generator"] = text
    for i, items in enumerate(LISTS):
        node = gd.add_node(
            "Workload", f"w{i}", name=f"w{i}", repo="r", cluster="c", namespace="ns", replicas=i - 5, missing=i % 2 == 0
        )
        if items is not None:
            node.props["images"] = items
            node.props["env"] = items
        rel = gd.add_rel("USES", ("Workload", f"w{i}"), ("ConfigMap", "cm0"), via="envFrom")
        rel.props["env"] = items or []
    store.write(gd, "r", None)

    generators = {r["id"]: r["g"] for r in store.query("MATCH (c:ConfigMap) RETURN c.id AS id, c.generator AS g")}
    assert generators == {f"cm{i}": text for i, text in enumerate(STRINGS + [None])}
    workloads = {
        r["id"]: (r["images"], r["env"], r["replicas"], r["missing"])
        for r in store.query(
            "MATCH (w:Workload) RETURN w.id AS id, w.images AS images, w.env AS env, w.replicas AS replicas, "
            "w.missing AS missing"
        )
    }
    assert workloads == {f"w{i}": (items, items, i - 5, i % 2 == 0) for i, items in enumerate(LISTS)}
    uses = {r["id"]: r["env"] for r in store.query("MATCH (w:Workload)-[u:USES]->() RETURN w.id AS id, u.env AS env")}
    assert uses == {f"w{i}": items or [] for i, items in enumerate(LISTS)}
