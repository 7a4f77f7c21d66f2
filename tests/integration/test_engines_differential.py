"""The same graph in both engines gives the same answers: every question on a sample of
targets of each kind, every export query, and the exported skill files byte for byte.

Inputs: examples/platform, the ESO/Vault and settings fixtures and the three public corpora (skipped
when ../shared/corpora is absent). Each is loaded once into Neo4j and once into an
embedded graph file."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from kg import cypher_files
from kg import questions as queries
from kg.errors import KgError
from kg.export import build_files
from kg.skill.documents import QUERIES as EXPORT_QUERIES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPORA = Path(os.environ.get("KG_CORPORA", PROJECT_ROOT.parent / "shared" / "corpora"))
INPUTS = {
    "platform": PROJECT_ROOT / "examples" / "platform",
    "eso-vault": PROJECT_ROOT / "tests" / "fixtures" / "eso-vault",
    "settings": PROJECT_ROOT / "tests" / "fixtures" / "settings",  # issue 17: settings, --key
    "fluxcd": CORPORA / "fluxcd__flux2-kustomize-helm-example",
    "toboshii": CORPORA / "toboshii__home-ops",
    "xUnholy": CORPORA / "xUnholy__k8s-gitops",
}
TIMESTAMP = "2026-01-01T00:00:00Z"  # the export's generatedAt, fixed: loads differ in time
SAMPLE = 4  # targets per label and question: the first names and a spread of the rest


@pytest.fixture(scope="module", params=list(INPUTS))
def engines(request, neo4j_settings, tmp_path_factory):
    """(neo4j store, embedded store, load result, repo name) for one input."""
    from kg.loaders import load_repo
    from kg.store import open_store

    path = INPUTS[request.param]
    if not path.is_dir():
        pytest.skip(f"corpora not found at {CORPORA} (set KG_CORPORA to the shared/corpora folder)")
    repo = f"kgdiff-{request.param}-{uuid.uuid4().hex[:6]}"
    result = load_repo(path, repo_name=repo)
    props = {"path": str(path), "git_revision": result.git_revision, "git_commit_time": result.git_commit_time}
    neo = open_store("neo4j", uri=neo4j_settings.uri, user=neo4j_settings.user, password=neo4j_settings.password)
    emb = open_store("embedded", graph=str(tmp_path_factory.mktemp("embedded") / "graph"))
    neo.ensure_schema()
    neo.write(result.graph, repo, None, props)
    emb.write(result.graph, repo, None, props)
    yield neo, emb, result, repo
    neo.delete_repo(repo)
    neo.close()
    emb.close()


def _canonical(rows: list[dict[str, Any]]) -> list[str]:
    """Rows as sorted JSON lines; lists inside sorted too (collect() order is the engine's)."""

    def value(v: Any) -> Any:
        return (
            sorted((value(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True, default=str))
            if isinstance(v, list)
            else v
        )

    return sorted(json.dumps({k: value(v) for k, v in row.items()}, sort_keys=True, default=str) for row in rows)


def _answer(store, question: str, target: str | None, repo: str, key: str | None = None) -> Any:
    try:
        rows = queries.ask(store, question, target, repo=repo, key=key).rows
    except KgError as exc:  # not found / ambiguous: both engines must say the same
        return f"{type(exc).__name__}: {exc}"
    return _canonical(rows)


def _sample_targets(result, labels: list[str]) -> list[str]:
    targets: list[str] = []
    for label in labels:
        names = sorted(
            {n.props["name"] for n in result.graph.nodes.values() if n.label == label and n.props.get("name")}
        )
        spread = names[SAMPLE :: max(1, len(names) // SAMPLE)][:SAMPLE]
        targets += [n for n in names[:SAMPLE] + spread if n not in targets]
    return targets


def test_every_question_answers_the_same_on_both_engines(engines):
    neo, emb, result, repo = engines
    compared, answered, differences = 0, 0, []
    for name, question in queries.catalogue().items():
        targets = _sample_targets(result, question.targets) if question.takes_target else [None]
        # a question with --key (config) also narrowed by a glob on names and dotted paths
        keys = [None, "*e*"] if "key" in question.params else [None]
        for target in targets:
            for key in keys:
                on_neo4j, embedded = _answer(neo, name, target, repo, key), _answer(emb, name, target, repo, key)
                compared += 1
                answered += isinstance(on_neo4j, list) and bool(on_neo4j)
                if on_neo4j != embedded:
                    differences.append(
                        f"kg ask {name} {target or ''} --key {key}: neo4j {str(on_neo4j)[:300]} | "
                        f"embedded {str(embedded)[:300]}"
                    )
    assert not differences, f"{len(differences)} of {compared} answers differ:\n" + "\n".join(differences[:10])
    assert answered > 0, "no question gave rows: nothing was compared"


def test_every_export_query_returns_the_same_rows_on_both_engines(engines):
    neo, emb, _, repo = engines
    params = {"repo": repo, "clusters": None}
    for name in EXPORT_QUERIES:
        text = cypher_files.text(f"export/{name}.cypher")
        assert _canonical(neo.query(text, params)) == _canonical(emb.query(text, params)), (
            f"export/{name}.cypher differs"
        )


def test_the_exported_skill_is_byte_identical_whichever_engine_produced_it(engines):
    neo, emb, _, repo = engines
    from_neo4j = build_files(neo, repo, None, TIMESTAMP)
    embedded = build_files(emb, repo, None, TIMESTAMP)
    assert sorted(from_neo4j) == sorted(embedded)
    for relative in from_neo4j:
        assert from_neo4j[relative] == embedded[relative], f"{relative} differs between the engines"
