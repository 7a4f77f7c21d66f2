"""Live status: how long `kg status load` takes for a large snapshot, and how fast
`kg ask why` answers on the largest corpus.

    KG_OFFLINE=1 [NEO4J_URI=bolt://...] python benchmarks/bench_status.py [REPO] [--objects 2000]

The repository (default: ../shared/corpora/joryirving__home-ops) is rendered once; a
snapshot is synthesized from its graph (every Flux object and workload live, one
HelmRelease failing with UpgradeFailed, the Kustomizations that depend on its
Kustomization DependencyNotReady), padded with live-only objects up to --objects. Then,
per engine (embedded; Neo4j when NEO4J_URI is set): the status load (match + atomic
write), and `why` on a sample of its Deployments (or HelmReleases, when no chart was
rendered), median and max of RUNS runs each, in this process: the CLI's start-up is not
the question's latency. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPO = ROOT.parent / "shared" / "corpora" / "joryirving__home-ops"
RUNS = 5
SAMPLE = 20
LIVE_KINDS = ("Kustomization", "HelmRelease", "GitRepository", "OCIRepository", "HelmRepository", "Deployment",
              "StatefulSet", "DaemonSet", "CronJob")  # fmt: skip


def condition(status: str, reason: str, message: str) -> dict:
    return {"conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message,
                            "lastTransitionTime": "2026-12-06T02:00:00Z"}]}  # fmt: skip


def synthesize(graph, objects: int) -> tuple[list[dict], str]:
    """A snapshot of the graph's cluster: all live and ready, one HelmRelease failing."""
    nodes = [n.props for n in graph.nodes.values() if n.props.get("kind") in LIVE_KINDS and not n.props.get("missing")]
    cluster = max({p["cluster"] for p in nodes}, key=lambda c: sum(1 for p in nodes if p["cluster"] == c))
    nodes = [p for p in nodes if p["cluster"] == cluster]
    releases = sorted(p["id"] for p in nodes if p["kind"] == "HelmRelease")
    failing = releases[len(releases) // 2] if releases else None
    items: list[dict] = []
    for p in nodes:
        obj = {"kind": p["kind"], "metadata": {"name": p["name"], "namespace": p.get("namespace") or ""}, "spec": {}}
        if p["kind"] in ("Deployment", "StatefulSet"):
            obj["status"] = {"readyReplicas": 1}
            obj["spec"]["replicas"] = 1
        elif p["id"] == failing:
            obj["status"] = condition("False", "UpgradeFailed", f"Helm upgrade failed for release {p['name']}")
        else:
            obj["status"] = condition("True", "ReconciliationSucceeded", "Applied revision: main@sha1:0123")
        items.append(obj)
    for i in range(max(0, objects - len(items))):
        items.append({"kind": "Deployment", "metadata": {"name": f"extra-{i}", "namespace": "bench"},
                      "spec": {"replicas": 1}, "status": {"readyReplicas": 1}})  # fmt: skip
    return items, cluster


def bench(store, repo: str, cluster: str, items: list[dict], workloads: list[str]) -> dict:
    from kg import status
    from kg.questions import ask

    print(f"status load of {len(items)} objects ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    summary = status.load(store, cluster, items, status.now(), "bench", repo)
    load_seconds = time.perf_counter() - started
    latencies = []
    for name in workloads:
        ask(store, "why", name, cluster=cluster, repo=repo)  # warm
        runs = []
        for _ in range(RUNS):
            t = time.perf_counter()
            ask(store, "why", name, cluster=cluster, repo=repo)
            runs.append(time.perf_counter() - t)
        latencies.append(statistics.median(runs))
        print(f"  why {name}: {1000 * latencies[-1]:.1f} ms", file=sys.stderr, flush=True)
    return {"objects": summary["status_objects"], "failing": summary["status_failing_count"], "load_s": load_seconds,
            "why_median_ms": 1000 * statistics.median(latencies), "why_max_ms": 1000 * max(latencies)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", nargs="?", default=str(DEFAULT_REPO))
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--cluster", action="append", help="render only this cluster (repeatable)")
    args = parser.parse_args()
    from kg.loaders import load_repo
    from kg.store import open_store

    repo = f"benchstatus-{uuid.uuid4().hex[:6]}"
    t = time.perf_counter()
    result = load_repo(Path(args.repo), repo_name=repo, clusters=args.cluster or None)
    print(f"rendered {args.repo}: {len(result.graph.nodes)} nodes in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    items, cluster = synthesize(result.graph, args.objects)
    # workloads, else (charts not rendered: offline) the HelmReleases that stand for them
    targets = {kind: sorted({f"{kind}/{n.props.get('namespace')}/{n.props['name']}" for n in result.graph.nodes.values()
                             if n.props.get("kind") == kind and n.props.get("cluster") == cluster
                             and not n.props.get("missing")})
               for kind in ("Deployment", "HelmRelease")}  # fmt: skip
    workloads = targets["Deployment"] or targets["HelmRelease"]
    sample = workloads[:: max(1, len(workloads) // SAMPLE)][:SAMPLE]
    scratch = tempfile.TemporaryDirectory(prefix="kg-bench-status-")  # the embedded graph, removed at exit
    engines = [("embedded", {"graph": str(Path(scratch.name) / "graph")})]
    if os.environ.get("NEO4J_URI"):
        engines.append(("neo4j", {}))
    kind = workloads[0].split("/")[0]
    print(f"cluster {cluster}: snapshot of {len(items)} objects; why on {len(sample)} of {len(workloads)} {kind}s")
    print(f"{'engine':<10} {'objects':>7} {'failing':>7} {'status load':>12} {'why median':>11} {'why max':>9}")
    for engine, options in engines:
        store = open_store(engine, **options)
        store.ensure_schema()
        store.write(result.graph, repo, None, {"path": args.repo})
        try:
            figures = bench(store, repo, cluster, items, sample)
        finally:
            if engine == "neo4j":
                store.delete_repo(repo)
                with store._session() as session:  # the status layer has no `repo`: benchmark clean-up
                    session.run("MATCH (n) WHERE n.status_repo = $repo DETACH DELETE n", repo=repo).consume()
            store.close()
        print(f"{engine:<10} {figures['objects']:>7} {figures['failing']:>7} {figures['load_s']:>10.2f} s "
              f"{figures['why_median_ms']:>8.1f} ms {figures['why_max_ms']:>6.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
