"""blast-radius's delivery rows against a walk of the graph in Python: the question finds
the objects a Kustomization's failure blocks in union parts of fixed shapes (what it or a
Kustomization waiting on it directly applies through 2 to 5 MANAGES hops, one part per
length, docs/engines.md rule 15) besides its variable-length walks. Here every
Kustomization of the example and of a generated repository (a dependsOn chain longer than
the 10-hop bound, a root that applies the apps) is asked about, and each delivery row's
evidence must be as long as the shortest explanation the walk finds: fewest dependsOn hops
(up to 10) from a waiting Kustomization plus fewest MANAGES hops (up to 5) to the object,
or the dependsOn hops alone for a waiting object of the target's label. Every object the
walk finds must be listed, and nothing else."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kg.graphdoc import GraphDoc
from tests.graph_walk import distances

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def expected_delivery(gd: GraphDoc, target: str) -> dict[str, int]:
    """Object id -> fewest hops of its delivery impact when the Kustomization `target` fails."""
    waited_by: dict[str, list[str]] = {}
    for start, ends in gd.adjacency("DEPENDS_ON").items():
        for end in ends:
            waited_by.setdefault(end, []).append(start)
    manages = gd.adjacency("MANAGES")
    label = gd.nodes[target].label
    hops: dict[str, int] = {}

    def offer(node: str, value: int) -> None:
        if node != target and (node not in hops or value < hops[node]):
            hops[node] = value

    for waiting, waits in distances(waited_by, target, 10).items():
        if gd.nodes[waiting].label != "Kustomization" and waits:
            if gd.nodes[waiting].label == label:
                offer(waiting, waits)
            continue
        if waits and label == "Kustomization":
            offer(waiting, waits)
        for applied, applies in distances(manages, waiting, 5).items():
            if applies:
                offer(applied, waits + applies)
    return hops


def _key(props: dict[str, Any]) -> tuple[Any, ...]:
    return (props.get("cluster"), props.get("kind"), props.get("name"), props.get("namespace"))


def _check_every_kustomization(gd: GraphDoc, graph: Path) -> int:
    from kg.config import EmbeddedSettings
    from kg.questions import ask_ids
    from kg.store import EmbeddedStore

    checked = 0
    with EmbeddedStore(EmbeddedSettings(graph)) as store:
        store.write(gd, "repo", None)
        for node_id, node in sorted(gd.nodes.items()):
            if node.label != "Kustomization":
                continue
            rows = ask_ids(store, "blast-radius", [node_id], "Kustomization").rows
            got = sorted(
                (_key(r), r["evidence"].count(" -[") + r["evidence"].count(" <-["))
                for r in rows
                if r["impact"] == "delivery"
            )
            want = sorted((_key(gd.nodes[x].props), n) for x, n in expected_delivery(gd, node_id).items())
            assert got == want, node.props.get("name")
            checked += 1
    return checked


def test_delivery_rows_match_a_walk_of_the_example(example_load, tmp_path):
    assert _check_every_kustomization(example_load.graph, tmp_path / "graph") > 10


def test_delivery_rows_match_a_walk_of_a_generated_repository(tmp_path):
    from kg.loaders import load_repo

    sys.path.insert(0, str(BENCHMARKS))
    try:
        from generate_repo import generate
    finally:
        sys.path.remove(str(BENCHMARKS))
    repo = tmp_path / "repo"
    generate(repo, 1, 13, 2)  # app-12 waits on app-11 ... app-0 and on infra: a chain past the bound
    result = load_repo(repo)
    assert _check_every_kustomization(result.graph, tmp_path / "graph") >= 15
