"""Load benchmark: time per stage and peak memory for each repository given.

    python benchmarks/bench_load.py [REPO ...]      # default: examples/platform and the corpora
    NEO4J_URI=... python benchmarks/bench_load.py   # also times the Neo4j write and the questions

Prints one block per repository. Figures, not assertions: targets live in the issues.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> tuple[float, float]:
    """(this process, the largest child: a kustomize run) peak resident memory, MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, child / 1024


def sample_target(store, question, repo: str) -> tuple[str | None, str | None]:
    """A target for the question in this repo: the best-connected node of its first kind
    that exists (the on-call case is a busy service, not a leaf)."""
    for label in question.targets:
        rows = store.query(
            f"MATCH (n:{label}) WHERE n.repo = $repo AND n.missing IS NULL "
            "OPTIONAL MATCH (n)-[r]-() WITH n, count(r) AS degree "
            "RETURN n.kind AS kind, n.namespace AS ns, n.name AS name, n.cluster AS cluster ORDER BY degree DESC, n.id LIMIT 1",
            {"repo": repo},
        )
        if rows:
            row = rows[0]
            target = (
                f"{row['kind']}/{row['ns']}/{row['name']}"
                if row["ns"] and label != "VaultPath"
                else f"{label}/{row['name']}"
            )
            return target, row["cluster"]
    return None, None


def main(paths: list[Path]) -> None:
    from kg.loaders import LoadError, load_repo

    store = None
    if os.environ.get("NEO4J_URI"):
        from kg.config import Neo4jSettings
        from kg.store import Neo4jStore

        store = Neo4jStore(Neo4jSettings.resolve())
        store.ensure_schema()
    for path in paths:
        name = f"bench-{path.name}"
        start = time.perf_counter()
        try:
            result = load_repo(path, repo_name=name)
        except LoadError as exc:
            print(f"{path}: {exc}")
            continue
        total = time.perf_counter() - start
        print(f"== {path}")
        t = result.timings
        print(f"  {'discover':<10} {t['discover'] * 1000:8.0f} ms")
        print(
            f"  {'render':<10} {t['render'] * 1000:8.0f} ms  (prepare source {t['prepare'] * 1000:.0f} ms, "
            f"substitute {t['substitute'] * 1000:.0f} ms, kustomize {t['kustomize'] * 1000:.0f} ms summed over workers)"
        )
        print(f"  {'extract':<10} {t['extract'] * 1000:8.0f} ms")
        from kg.loaders.render import default_workers

        share = min(1.0, t["kustomize"] / max(t["render"] * default_workers(), 1e-9))
        print(
            f"  kustomize share of render time: {share * 100:.0f}% (kustomize seconds / (render seconds x {default_workers()} workers))"
        )
        print(
            f"  {'load':<10} {total * 1000:8.0f} ms  ({len(result.graph.nodes)} nodes, {len(result.graph.rels)} relationships, {len(result.warnings)} warnings)"
        )
        if store is not None:
            written = store.write(result.graph, name, None)
            print(f"  {'write':<10} {written['seconds'] * 1000:8.0f} ms")
            from kg.errors import NotFound
            from kg.questions import ask, catalogue

            for question in catalogue().values():
                target, cluster = sample_target(store, question, name)
                if question.takes_target and target is None:
                    print(f"  ask {question.name:<14} (no target of kinds {', '.join(question.targets)})")
                    continue
                samples = []
                for _ in range(7):
                    t = time.perf_counter()
                    try:
                        rows = len(ask(store, question.name, target, cluster=cluster, repo=name).rows)
                    except NotFound:
                        rows = -1
                    samples.append(time.perf_counter() - t)
                print(
                    f"  ask {question.name:<14} median {statistics.median(samples) * 1000:6.1f} ms  ({target or '-'}: {rows} rows)"
                )
            store.delete_repo(name)
        own, child = peak_rss_mb()
        print(f"  peak RSS   {own:8.0f} MB (kg), {child:.0f} MB (largest kustomize run)")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    if not args:
        args = [ROOT / "examples" / "platform"]
        corpora = ROOT.parent / "shared" / "corpora"
        if corpora.is_dir():
            args += sorted(p for p in corpora.iterdir() if p.is_dir())
    main(args)
