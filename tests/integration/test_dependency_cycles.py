"""Dependency cycles on both engines: examples/platform with one dependsOn added so that
cortex -> runwhen-corestate -> runwhen-backend-services -> cortex. `kg ask problems`
names exactly the members of the cycle, the same on both engines, and the load marks
them (`dependency_cycle`) so the question walks only from them."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from kg import questions

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform"
CYCLE = {"cortex", "runwhen-corestate", "runwhen-backend-services"}


@pytest.fixture(scope="module")
def cyclic_repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("cyclic") / "platform"
    shutil.copytree(EXAMPLE, repo)
    observability = repo / "clusters" / "platform-cluster" / "observability.yaml"
    text = observability.read_text()
    anchor = "path: ./infrastructure/cortex\n"
    assert anchor in text
    # cortex already waits on infrastructure; make it wait on corestate too
    head, _, tail = text.partition(anchor)
    head = (
        head[: head.rindex("    - name: infrastructure\n")]
        + "    - name: infrastructure\n    - name: runwhen-corestate\n"
    )
    observability.write_text(head + "  interval: 1m\n  " + anchor + tail)
    return repo


def test_problems_names_the_members_of_a_cycle_on_both_engines(neo4j_settings, cyclic_repo, tmp_path):
    from kg.loaders import load_repo
    from kg.store import open_store

    repo = f"kgcycle-{uuid.uuid4().hex[:6]}"
    result = load_repo(cyclic_repo, repo_name=repo)
    marked = {n.props["name"] for n in result.graph.nodes.values() if n.props.get("dependency_cycle")}
    assert marked == CYCLE
    neo = open_store("neo4j", uri=neo4j_settings.uri, user=neo4j_settings.user, password=neo4j_settings.password)
    emb = open_store("embedded", graph=str(tmp_path / "graph"))
    answers = {}
    try:
        neo.ensure_schema()
        for engine, store in (("neo4j", neo), ("embedded", emb)):
            store.write(result.graph, repo, None, {"path": str(cyclic_repo)})
            rows = [
                r for r in questions.ask(store, "problems", None, repo=repo).rows if r["problem"] == "dependency cycle"
            ]
            assert {r["name"] for r in rows} == CYCLE, engine
            for row in rows:  # the evidence walks the cycle back to where it started
                assert row["evidence"], row
            answers[engine] = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)
    finally:
        neo.delete_repo(repo)
        neo.close()
        emb.close()
    assert answers["neo4j"] == answers["embedded"]
