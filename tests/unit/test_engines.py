"""What makes one set of .cypher files run the same on both engines: engine selection,
union files run part by part and ordered like Neo4j, evidence alternatives shown
deterministically, and records that fit the typed tables of the embedded engine."""

from __future__ import annotations

from typing import Any

import pytest

from kg import run_cypher
from kg.config import EmbeddedSettings, resolve_engine
from kg.cypher_files import CypherFile
from kg.errors import UsageError
from kg.evidence import PathTokens, format_path
from kg.schema import NODE_TYPES, REL_TYPES, node_properties, property_type, rel_properties


# -- selection ---------------------------------------------------------------------
def test_embedded_is_the_default_and_an_address_means_neo4j(monkeypatch):
    for var in ("KG_ENGINE", "NEO4J_URI", "KG_GRAPH"):
        monkeypatch.delenv(var, raising=False)
    assert resolve_engine() == "embedded"
    assert EmbeddedSettings.resolve().path.as_posix() == ".kg/graph"
    assert resolve_engine(uri="bolt://db:7687") == "neo4j"
    monkeypatch.setenv("NEO4J_URI", "bolt://db:7687")
    assert resolve_engine() == "neo4j"
    # a named engine wins over the address
    assert resolve_engine("embedded") == "embedded"
    monkeypatch.setenv("KG_ENGINE", "embedded")
    assert resolve_engine() == "embedded"
    monkeypatch.setenv("KG_GRAPH", "/data/graph")
    assert str(EmbeddedSettings.resolve().path) == "/data/graph"


def test_an_unknown_engine_names_the_choices():
    with pytest.raises(UsageError, match="embedded, neo4j"):
        resolve_engine("sqlite")


# -- union files -------------------------------------------------------------------
class Recorder:
    """Answers each statement with the rows given for it, and records what ran."""

    def __init__(self, answers: list[list[dict[str, Any]]]):
        self.answers = answers
        self.ran: list[str] = []

    def query(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self.ran.append(text)
        return self.answers[len(self.ran) - 1]


UNION_FILE = """// question: demo
// order: cluster, name
// sets: users
MATCH (a:Workload) RETURN a.cluster AS cluster, a.name AS name, [] AS users
UNION
CALL {
  MATCH (b) RETURN b
  UNION
  MATCH (c) RETURN c
}
RETURN 1
"""


def test_a_union_file_runs_part_by_part_but_not_inside_a_subquery():
    parts, distinct = CypherFile.parse(UNION_FILE).parts()
    assert len(parts) == 2 and distinct
    assert "  UNION" in parts[1]  # indented: inside CALL { }, left to the engine


def test_union_rows_are_merged_deduplicated_and_ordered_like_neo4j():
    store = Recorder(
        [
            [{"cluster": "b", "name": "x", "users": ["z", "a"]}, {"cluster": None, "name": "n", "users": []}],
            [{"cluster": "a", "name": "y", "users": ["m"]}, {"cluster": "b", "name": "x", "users": ["a", "z"]}],
        ]
    )
    rows = run_cypher.run(store, CypherFile.parse(UNION_FILE))
    assert len(store.ran) == 2
    # nulls last, as Neo4j orders ascending; the duplicate (same set of users) is gone
    assert [(r["cluster"], r["name"]) for r in rows] == [("a", "y"), ("b", "x"), (None, "n")]
    assert rows[1]["users"] == ["a", "z"]


def test_union_all_keeps_duplicates():
    store = Recorder([[{"n": 1}], [{"n": 1}]])
    assert (
        len(run_cypher.run(store, CypherFile.parse("MATCH (a) RETURN 1 AS n\nUNION ALL\nMATCH (b) RETURN 1 AS n"))) == 2
    )


# -- evidence ----------------------------------------------------------------------
def _path(*tokens: str) -> PathTokens:
    return PathTokens(tokens)


def test_of_alternative_paths_the_shortest_is_shown_and_ties_break_by_text():
    long = _path(
        "Cluster/c -[ROOT]->",
        "Kustomization/flux-system -[MANAGES]->",
        "Kustomization/apps -[MANAGES]->",
        "Deployment/web",
    )
    short_b = _path("Kustomization/b -[MANAGES]->", "Deployment/web")
    short_a = _path("Kustomization/a -[MANAGES]->", "Deployment/web")
    assert format_path([long, short_b, short_a]) == "Kustomization/a -[MANAGES]-> Deployment/web"
    assert format_path([short_b, long, short_a]) == format_path([short_a, short_b, long])
    assert format_path([]) == "" and format_path(None) == ""


def test_segments_of_an_alternative_join_end_to_end():
    applied = _path("Kustomization/apps -[MANAGES]->", "Deployment/web")
    waits = _path("Kustomization/apps -[DEPENDS_ON]->", "Kustomization/infra")
    assert (
        format_path([[applied, waits]])
        == "Deployment/web <-[MANAGES]- Kustomization/apps -[DEPENDS_ON]-> Kustomization/infra"
    )


# -- typed tables ------------------------------------------------------------------
def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, list):
        assert all(isinstance(v, str) for v in value), value
        return "STRING[]"
    assert isinstance(value, str), value
    return "STRING"


def _check_types(graph) -> None:
    for node in graph.nodes.values():
        declared = set(node_properties(node.label))
        for key, value in node.props.items():
            assert key in declared, f"{node.label}.{key} is not declared"
            assert _type_of(value) == property_type(key, node.label), f"{node.label}.{key} = {value!r}"
    for rel in graph.rels.values():
        declared = set(rel_properties(rel.type))
        for key, value in rel.props.items():
            assert key in declared, f"{rel.type}.{key} is not declared"
            assert _type_of(value) == property_type(key, rel.type), f"{rel.type}.{key} = {value!r}"


def test_example_records_fit_the_declared_column_types(example_load, eso_vault_load):
    _check_types(example_load.graph)
    _check_types(eso_vault_load.graph)


def test_corpus_records_fit_the_declared_column_types(corpora):
    from kg.loaders import load_repo

    for repo in sorted(p for p in corpora.iterdir() if p.is_dir()):
        _check_types(load_repo(repo).graph)


def test_the_embedded_tables_declare_every_schema_label_type_and_endpoint_pair():
    from kg.store.embedded_store import table_statements

    ddl = table_statements()
    for label in NODE_TYPES:
        assert any(f"CREATE NODE TABLE {label}(" in s for s in ddl)
    for rel_type, rel in REL_TYPES.items():
        statement = next(s for s in ddl if f"CREATE REL TABLE {rel_type}(" in s)
        assert statement.count("FROM ") == len(rel.sources) * len(rel.targets)
