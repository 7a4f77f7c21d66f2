"""WAITS_ON and NESTS, the closures `kg load` derives (loaders/extract/flux.py
link_closures), against a walk of the graph in Python: blast-radius, why and debug look
them up instead of walking DEPENDS_ON and MANAGES, so each must hold exactly the fewest
hops a bounded walk finds (up to 20), every Kustomization, HelmRelease and ResourceSet
waiting on itself and every object that applies others nesting itself (hops 0), and nothing else."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from kg.graphdoc import GraphDoc
from tests.graph_walk import distances

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _expected(gd: GraphDoc) -> tuple[set[tuple[str, str, int]], set[tuple[str, str, int]]]:
    depends, manages = gd.adjacency("DEPENDS_ON"), gd.adjacency("MANAGES")
    waits = {
        (start, end, hops)
        for start, node in gd.nodes.items()
        if node.label in ("Kustomization", "HelmRelease", "ResourceSet")
        for end, hops in distances(depends, start, 20).items()
    }
    nests = {
        (start, end, hops) for start in manages for end, hops in distances(manages, start, 20).items() if end in manages
    }
    return waits, nests


def _found(gd: GraphDoc, rel_type: str) -> set[tuple[str, str, int]]:
    return {(r.start, r.end, r.props["hops"]) for r in gd.rels.values() if r.type == rel_type}


def _check(gd: GraphDoc) -> int:
    waits, nests = _expected(gd)
    assert _found(gd, "WAITS_ON") == waits
    assert _found(gd, "NESTS") == nests
    return len(waits) + len(nests)


def test_closures_of_the_example(example_load):
    assert _check(example_load.graph) > 20


def test_closures_of_resourcesets():
    """tests/fixtures/flux-operator/fleet: ResourceSets generate Kustomizations and
    HelmReleases (MANAGES from a ResourceSet); each waits on itself too."""
    from kg.loaders import load_repo

    gd = load_repo(Path(__file__).resolve().parents[1] / "fixtures" / "flux-operator" / "fleet").graph
    assert any(n.label == "ResourceSet" for n in gd.nodes.values())
    _check(gd)
    assert any(r.type == "NESTS" and r.start_label == "ResourceSet" and r.props["hops"] for r in gd.rels.values())


def test_closures_of_a_chain_past_the_bound(tmp_path):
    from kg.loaders import load_repo

    sys.path.insert(0, str(BENCHMARKS))
    try:
        from generate_repo import generate
    finally:
        sys.path.remove(str(BENCHMARKS))
    generate(tmp_path / "repo", 2, 25, 1)  # app-24 waits on app-23 ... app-0: 25 hops, past 20
    gd = load_repo(tmp_path / "repo").graph
    _check(gd)
    hops = {(gd.nodes[r.start].props["name"], gd.nodes[r.end].props["name"]) for r in gd.rels.values()
            if r.type == "WAITS_ON" and r.props["hops"] == 20}  # fmt: skip
    assert ("app-24", "app-4") in hops


def test_closures_of_cycles_and_shared_objects():
    """A dependsOn cycle and a self-dependency, a dangling dependsOn, a root that applies
    itself, and an object two Kustomizations apply at different depths."""
    from loaders.extract.flux import link_closures

    gd = GraphDoc()
    k = {name: ("Kustomization", f"r:c/Kustomization/flux-system/{name}") for name in "root a b c d".split()}
    for label, node_id in k.values():
        gd.add_node(label, node_id, name=node_id.rsplit("/", 1)[1], kind="Kustomization", cluster="c")
    release = ("HelmRelease", "r:c/HelmRelease/apps/app")
    gd.add_node(*release, name="app", kind="HelmRelease", cluster="c")
    workload = ("Workload", "r:c/Workload/apps/Deployment/app")
    gd.add_node(*workload, name="app", kind="Deployment", cluster="c")
    for start, end in (("a", "b"), ("b", "a"), ("c", "c"), ("d", "a")):
        gd.add_rel("DEPENDS_ON", k[start], k[end])
    gd.add_rel("DEPENDS_ON", release, gd.ref("Kustomization", "r:c/Kustomization/flux-system/gone"))
    for start, end in (("root", "root"), ("root", "a"), ("a", "b"), ("root", "c")):
        gd.add_rel("MANAGES", k[start], k[end])
    gd.add_rel("MANAGES", k["b"], release)
    gd.add_rel("MANAGES", k["c"], release)
    gd.add_rel("MANAGES", release, workload)
    gd.add_node("Kustomization", "r:other/Kustomization/flux-system/x", name="x", kind="Kustomization")
    link_closures(SimpleNamespace(gd=gd, prefix="r:c"))  # type: ignore[arg-type]
    gd.finalize()
    waits, nests = _expected(gd)
    waits = {w for w in waits if not w[0].startswith("r:other/")}  # another cluster's: not this step's
    assert _found(gd, "WAITS_ON") == waits
    assert _found(gd, "NESTS") == nests
    assert (k["d"][1], k["b"][1], 2) in waits and (k["root"][1], release[1], 2) in nests
    assert (release[1], "r:c/Kustomization/flux-system/gone", 1) in waits


def test_a_graph_file_without_the_closures_asks_for_a_reload(tmp_path, monkeypatch, example_load):
    """A file an older kg wrote has no WAITS_ON or NESTS table: a question reading them
    says to load again instead of answering without them."""
    import re

    import pytest

    from kg.config import EmbeddedSettings
    from kg.errors import DatabaseError
    from kg.questions import ask
    from kg.store import embedded_store
    from kg.store.embedded_store import EmbeddedStore, table_statements

    table_name = re.compile(r"CREATE (?:NODE|REL) TABLE (\w+)\(")
    older = [t for t in table_statements() if table_name.search(t).group(1) not in ("WAITS_ON", "NESTS")]
    monkeypatch.setattr(embedded_store, "table_statements", lambda: older)
    gd = GraphDoc()
    gd.nodes = dict(example_load.graph.nodes)
    gd.rels = {k: v for k, v in example_load.graph.rels.items() if v.type not in ("WAITS_ON", "NESTS")}
    with EmbeddedStore(EmbeddedSettings.resolve(str(tmp_path / "graph"))) as store:
        store.write(gd, "platform", None, {"path": "examples/platform"})
        monkeypatch.undo()
        assert ask(store, "where", "papi").rows
        with pytest.raises(DatabaseError, match="load the repository again"):
            ask(store, "blast-radius", "vault")
