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


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux; children include kustomize
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


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
        for stage, seconds in result.timings.items():
            print(f"  {stage:<10} {seconds * 1000:8.0f} ms")
        print(f"  {'load':<10} {total * 1000:8.0f} ms  ({len(result.graph.nodes)} nodes, {len(result.graph.rels)} relationships, {len(result.warnings)} warnings)")
        if store is not None:
            written = store.write(result.graph, name, None)
            print(f"  {'write':<10} {written['seconds'] * 1000:8.0f} ms")
            from kg.errors import NotFound
            from kg.queries import catalogue, run_question

            targets = {"where": "papi", "blast-radius": "vault"}
            for question in catalogue():
                samples = []
                for _ in range(5):
                    t = time.perf_counter()
                    try:
                        run_question(store, question, targets.get(question, "papi"), repo=name)
                    except NotFound:
                        pass
                    samples.append(time.perf_counter() - t)
                print(f"  ask {question:<14} median {statistics.median(samples) * 1000:6.1f} ms")
            store.delete_repo(name)
        print(f"  peak RSS   {peak_rss_mb():8.0f} MB")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    if not args:
        args = [ROOT / "examples" / "platform"]
        corpora = ROOT.parent / "shared" / "corpora"
        if corpora.is_dir():
            args += sorted(p for p in corpora.iterdir() if p.is_dir())
    main(args)
