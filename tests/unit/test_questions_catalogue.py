"""The question catalogue: headers, target syntax, and the Cypher subset both engines run."""

import re

import pytest

from kg import cypher_files
from kg.errors import UsageError
from kg.questions import TargetSpec, catalogue, parse_target
from kg.schema import NODE_TYPES

EXPECTED = {"where", "trace", "tree", "depends-on", "blast-radius", "secrets", "config", "problems", "debug"}


def test_catalogue_has_every_question_with_a_documented_header():
    questions = catalogue()
    assert EXPECTED <= set(questions)
    for name, q in questions.items():
        assert q.summary, name
        assert q.columns, name
        assert "cluster" in q.params, name
        for label in q.targets:
            assert label in NODE_TYPES, (name, label)
        assert q.takes_target == bool(q.targets), name


# constructs one of the two engines lacks or runs differently (docs/engines.md, "The common subset")
NOT_PORTABLE = {
    "shortestPath": r"\bshortestPath\b",
    "type()": r"\btype\(",
    "labels()": r"\blabels\(",
    "head()/last()": r"\b(head|last)\(",
    "toString()": r"\btoString\(",
    "APOC": r"\bapoc\.",
    "list comprehension": r"\[\s*\w+\s+IN\s+[^]]*\|",
    "list index": r"\[\d+\]",
    "UNION inside CALL": r"CALL\s*\{[^}]*\n\s+UNION",
    "label test in an expression": r"\b(WHERE|WHEN|AND|OR|NOT)\s+\w+:[A-Z]",
    "null test before the comparison": r"\$\w+\s+IS\s+NULL\s+OR\b",
}
SHARED_QUERIES = [f"ask/{n}" for n in sorted(EXPECTED)] + [
    f"{folder}/{n}" for folder in ("export", "lookup") for n in cypher_files.listing(folder)
]


@pytest.mark.parametrize("path", SHARED_QUERIES)
def test_shared_queries_stay_in_the_common_subset(path):
    """Every question, lookup and export query runs on both engines from the same file."""
    source = cypher_files.load(f"{path}.cypher").text
    text = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("//"))
    found = [
        what
        for what, pattern in NOT_PORTABLE.items()
        if re.search(pattern, text, re.IGNORECASE if what != "label test in an expression" else 0)
    ]
    assert not found, (path, found)
    if path.startswith("ask/"):
        assert "$name" not in text, "questions receive resolved $ids, not raw names"


def test_target_syntax():
    assert parse_target("papi") == TargetSpec("papi")
    assert parse_target("deployment/papi") == TargetSpec("papi", "Workload", "deployment")
    assert parse_target("Workload/papi") == TargetSpec("papi", "Workload")
    assert parse_target("backend-services/papi") == TargetSpec("papi", namespace="backend-services")
    assert parse_target("kustomization/flux-system/apps") == TargetSpec("apps", "Kustomization", None, "flux-system")
    assert parse_target("vaultpath/shared/data/secrets") == TargetSpec("shared/data/secrets", "VaultPath")
    assert parse_target("VaultPath/shared/secrets") == TargetSpec("shared/secrets", "VaultPath")
    with pytest.raises(UsageError):
        parse_target("  ")


def test_the_target_label_is_named_only_when_the_target_has_one():
    from kg.cypher_files import CypherFile
    from kg.questions import bind_target_label

    text = "MATCH (t/*:{target}*/)\nWHERE t.id IN $ids\nRETURN t\nUNION ALL\nMATCH (t:Kustomization)\nWHERE t.id IN $ids\nRETURN t"
    file = CypherFile.parse(text)
    bound = bind_target_label(file, {"Workload"})
    assert (
        bound == text.replace("MATCH (t/*:{target}*/)\n", "MATCH (t:Workload)\n") and "MATCH (t:Kustomization)" in bound
    )
    assert bind_target_label(file, {"Workload", "Service"}) == text  # several labels: every node may match
    assert bind_target_label(file, {"Workload) DETACH DELETE (t"}) == text  # only the schema's labels
    assert bind_target_label(file, {""}) == text
