"""One model and parser for every .cypher file (kg/cypher_files.py)."""

import pytest

from kg import cypher_files
from kg.cypher_files import CypherFile


def test_header_keys_lists_params_and_notes():
    file = CypherFile.parse(
        "// question: x\n// order: a, b\n// param name: the name\n// Free text: a note\nMATCH (n) RETURN n"
    )
    assert file.value("question") == "x" and file.items("order") == ["a", "b"]
    assert file.params() == {"name": "the name"}
    assert [h.value for h in file.header if not h.key] == ["Free text: a note"]
    assert file.body == "MATCH (n) RETURN n"


def test_placeholders_are_explicit_and_take_schema_names_only():
    template = cypher_files.load("lookup/target_by_label.cypher")
    assert template.placeholders == {"label"}
    assert "MATCH (n:Workload)" in template.fill(label="Workload")
    with pytest.raises(ValueError):
        template.fill(label="Workload) DETACH DELETE (n")
    with pytest.raises(ValueError, match="needs a value"):
        template.fill()
    with pytest.raises(ValueError, match="no placeholder"):
        template.fill(label="Workload", type="MANAGES")
    with pytest.raises(ValueError, match="placeholders to fill"):
        cypher_files.text("lookup/target_by_label.cypher")


def test_an_optional_placeholder_is_a_comment_until_filled():
    debug = cypher_files.load("ask/debug.cypher")
    assert debug.placeholders == set() and debug.optional_placeholders == {"target"}
    assert "MATCH (t:Workload)\nWHERE t.id IN $ids" in debug.fill(target="Workload")
    assert "${var}" in cypher_files.load("ask/config.cypher").text  # `${var}` in prose is no placeholder


def test_every_file_parses_and_templates_name_their_placeholders():
    for folder in ("ask", "export", "lookup", "db", "store", "embedded"):
        for name in cypher_files.listing(folder):
            file = cypher_files.load(f"{folder}/{name}.cypher")
            assert file.body, file.path
            if folder in ("ask", "export", "db"):
                assert not file.placeholders, file.path  # they run as they are
    assert [s.value("query") for s in cypher_files.load("browser/explore.cypher").sections()][:1] == ["service"]
