"""The schema module is the single source of truth: records and docs follow it."""

from pathlib import Path

from kg.schema import NODE_TYPES, REL_TYPES, markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def test_docs_schema_is_generated_from_the_module():
    assert DOCS.read_text() == markdown(), "run: python -m kg.schema > docs/schema.md"


def test_example_records_use_only_schema_labels_and_endpoints(example_load):
    gd = example_load.graph
    for node in gd.nodes.values():
        assert node.label in NODE_TYPES
        for value in node.props.values():
            # Neo4j properties: scalars or homogeneous lists of scalars
            assert isinstance(value, (str, int, float, bool, list))
            if isinstance(value, list):
                assert len({type(v) for v in value}) <= 1
    for rel in gd.rels.values():
        spec = REL_TYPES[rel.type]
        assert rel.start_label in spec.sources, rel
        assert rel.end_label in spec.targets, rel


def test_every_property_written_is_documented(example_load):
    from kg.schema import COMMON_NODE_PROPERTIES

    gd = example_load.graph
    for node in gd.nodes.values():
        documented = set(COMMON_NODE_PROPERTIES) | set(NODE_TYPES[node.label].properties)
        assert set(node.props) <= documented, (node.label, set(node.props) - documented)
    for rel in gd.rels.values():
        assert set(rel.props) <= set(REL_TYPES[rel.type].properties), (
            rel.type,
            set(rel.props) - set(REL_TYPES[rel.type].properties),
        )


def test_a_property_the_schema_does_not_declare_is_refused():
    """Neo4j would keep it and the embedded engine drop it: declare it in kg/schema.py."""
    import pytest

    from kg.graphdoc import GraphDoc, UndeclaredProperty

    gd = GraphDoc()
    gd.add_node("Workload", "w", name="w", images=["x"])
    with pytest.raises(UndeclaredProperty, match="Workload has no declared property colour"):
        gd.add_node("Workload", "w2", name="w2", colour="blue")
    with pytest.raises(UndeclaredProperty):
        gd.ref("Secret", "s", shade="dark")
    gd.add_node("Service", "s", name="s")
    with pytest.raises(UndeclaredProperty, match="SELECTS has no declared property weight"):
        gd.add_rel("SELECTS", ("Service", "s"), ("Workload", "w"), weight=1)
