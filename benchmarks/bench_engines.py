"""Engines side by side: load time, peak memory and question latency of the embedded
engine (LadybugDB file) and Neo4j on the same input.

    NEO4J_URI=bolt://127.0.0.1:7687 python benchmarks/bench_engines.py [REPO ...] [--objects N ...]

Default inputs: the largest corpus in ../shared/corpora (by rendered objects) and the
20,000-object synthetic repository (benchmarks/generate_repo.py). Each (input, engine)
runs in a fresh process, so peak memory is that engine's high-water mark (rendering
included: the same for both). Load = render + write; the first write into an empty
graph and a second write of the same input (a reload: the embedded engine then reads
back the old graph) are both shown. Questions: median of 5 runs on the busiest target
of each question's kinds. Figures, not assertions (issue 8: embedded load no slower
than Neo4j's on the same input).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
RUNS = 5


def busiest_targets(graph) -> dict[str, tuple[str, str | None]]:
    """Per label, the name and cluster of its best-connected node (the on-call case is a
    busy service)."""
    degree: Counter[str] = Counter()
    for rel in graph.rels.values():
        degree[rel.start] += 1
        degree[rel.end] += 1
    best: dict[str, tuple[int, str]] = {}
    for node in graph.nodes.values():
        if node.props.get("missing") or not node.props.get("name"):
            continue
        score = (degree[node.id], node.id)
        if node.label not in best or score > best[node.label]:
            best[node.label] = score
    return {
        label: (graph.nodes[n].props["name"], graph.nodes[n].props.get("cluster")) for label, (_, n) in best.items()
    }


def one(engine: str, path: Path) -> dict:
    """Render, write twice, ask: in this process, with one engine."""
    from kg.errors import KgError
    from kg.loaders import load_repo
    from kg.questions import ask, catalogue
    from kg.store import open_store

    repo = f"bench-{uuid.uuid4().hex[:6]}"
    started = time.perf_counter()
    result = load_repo(path, repo_name=repo)
    render = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        store = open_store(engine, graph=str(Path(tmp) / "graph"))
        store.ensure_schema()
        writes = []
        for _ in range(2):
            t = time.perf_counter()
            store.write(result.graph, repo, None, {"path": str(path)})
            writes.append(time.perf_counter() - t)
        targets = busiest_targets(result.graph)
        questions = {}
        for question in catalogue().values():
            target, cluster = next((targets[label] for label in question.targets if label in targets), (None, None))
            if question.takes_target and target is None:
                continue
            # a question about one thing (debug, tree) is asked in the target's cluster: a
            # synthetic repo has every name in every cluster
            cluster = cluster if question.single else None
            samples, rows = [], 0
            for _ in range(RUNS):
                t = time.perf_counter()
                try:
                    rows = len(ask(store, question.name, target, cluster=cluster, repo=repo).rows)
                except KgError:
                    rows = -1  # ambiguous for a single-target question: still timed
                samples.append(time.perf_counter() - t)
            questions[question.name] = {"target": target, "rows": rows, "ms": statistics.median(samples) * 1000}
        if engine == "neo4j":
            store.delete_repo(repo)
        store.close()
    return {
        "objects": sum(c.objects for c in result.clusters),
        "nodes": len(result.graph.nodes),
        "relationships": len(result.graph.rels),
        "render_s": render,
        "write_s": writes[0],
        "rewrite_s": writes[1],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "questions": questions,
    }


def run_engine(engine: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", engine, str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{engine} on {path} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(name: str, figures: dict[str, dict]) -> None:
    emb, neo = figures["embedded"], figures["neo4j"]
    print(f"== {name}: {emb['objects']} objects, {emb['nodes']} nodes, {emb['relationships']} relationships")
    print(f"  {'':<22} {'embedded':>10} {'neo4j':>10}")
    rows = [
        ("render s (same work)", emb["render_s"], neo["render_s"]),
        ("write s (first)", emb["write_s"], neo["write_s"]),
        ("write s (reload)", emb["rewrite_s"], neo["rewrite_s"]),
        ("load s (render+write)", emb["render_s"] + emb["write_s"], neo["render_s"] + neo["write_s"]),
        ("peak memory MB", emb["peak_mb"], neo["peak_mb"]),
    ]
    for label, a, b in rows:
        print(f"  {label:<22} {a:>10.1f} {b:>10.1f}")
    for question in emb["questions"]:
        e, n = emb["questions"][question], neo["questions"].get(question, {})
        print(
            f"  ask {question:<18} {e['ms']:>8.1f}ms {n.get('ms', float('nan')):>8.1f}ms  ({e['target'] or '-'}: {e['rows']} rows)"
        )


def largest_corpus() -> Path | None:
    corpora = Path(os.environ.get("KG_CORPORA", ROOT.parent / "shared" / "corpora"))
    if not corpora.is_dir():
        return None
    from kg.loaders import load_repo

    sized = [(len(load_repo(p).graph.nodes), p) for p in sorted(corpora.iterdir()) if p.is_dir()]
    return max(sized)[1] if sized else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--objects", type=int, action="append", help="a synthetic repository of about N objects")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.repos[0])))
        return
    if not os.environ.get("NEO4J_URI"):
        raise SystemExit("set NEO4J_URI (scripts/neo4j-local start) to compare with Neo4j")
    inputs: list[tuple[str, Path]] = [(p.name, p) for p in args.repos]
    sizes = args.objects or ([] if args.repos else [20000])
    if not args.repos and not args.objects:
        corpus = largest_corpus()
        if corpus is not None:
            inputs.append((f"{corpus.name} (largest corpus)", corpus))
    from generate_repo import generate, shape

    with tempfile.TemporaryDirectory(prefix="kg-bench-repo-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"synthetic-{size}"
            generate(path, *shape(size))
            inputs.append((f"synthetic {size}", path))
        for name, path in inputs:
            report(name, {engine: run_engine(engine, path) for engine in ("embedded", "neo4j")})


if __name__ == "__main__":
    main()
