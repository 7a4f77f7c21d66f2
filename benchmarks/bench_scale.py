"""Scale benchmark (issue 7, point 5): load synthetic repositories from 100 to 20,000
objects (benchmarks/generate_repo.py) and print, per size, the time and peak memory of
each stage, the latency of every `kg ask` question (kg.questions.catalogue(), so new
questions are included), and the fitted exponent of time and memory against size.

    NEO4J_URI=bolt://127.0.0.1:7687 python benchmarks/bench_scale.py [SIZE ...] [--json FILE]
    NEO4J_URI=... python benchmarks/bench_scale.py 50000    # issue 21: past one machine's estate

At 50,000 objects one load is one transaction of more than 2.8 GB on the server: give Neo4j an 8 GB
heap (KG_NEO4J_HEAP=8g scripts/neo4j-local start); with 4 GB it is refused at commit
(docs/engines.md, Scale beyond one machine).

Each size runs in a fresh process (peak memory is a high-water mark). Memory per stage:
the largest resident set sampled every 10 ms during the stage; kustomize's own is its
largest run. Targets (issue 7): exponent < 1.15, 20,000 objects in < 120 s with peak
memory < 1.5 GB, every question < 300 ms at 20,000. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_repo import generate, shape  # noqa: E402

SIZES = (100, 500, 1000, 2500, 5000, 10000, 20000)
TARGETS = {"where": "app-0-wl-0", "blast-radius": "vault", "tree": "flux-system", "problems": None}  # else a workload
RUNS = 5


class RssSampler:
    """Resident set size of this process, sampled in a thread: (time, MB) pairs."""

    def __init__(self, interval: float = 0.01):
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), self.rss_mb()))
            time.sleep(interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float, end: float) -> float:
        inside = [mb for t, mb in self.samples if start <= t <= end]
        return max(inside) if inside else self.rss_mb()


def one_size(objects: int) -> dict:
    """Generate, load, write and ask at one size; returns the figures."""
    from kg.config import Neo4jSettings
    from kg.errors import NotFound
    from kg.loaders import load_repo
    from kg.questions import ask, catalogue
    from kg.store import Neo4jStore

    dims = shape(objects)
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        repo_path = Path(tmp) / "fleet"
        counts = generate(repo_path, *dims)
        name = f"bench-scale-{objects}"
        baseline = RssSampler.rss_mb()
        with RssSampler() as sampler, Neo4jStore(Neo4jSettings.resolve()) as store:
            store.ensure_schema()
            start = time.perf_counter()
            result = load_repo(repo_path, repo_name=name)
            loaded = time.perf_counter()
            written = store.write(result.graph, name, None)
            end = time.perf_counter()
            t = result.timings
            windows = {"discover": (start, start + t["discover"])}
            windows["render"] = (windows["discover"][1], windows["discover"][1] + t["render"])
            windows["extract"] = (windows["render"][1], loaded)
            windows["write"] = (loaded, end)
            stages = {
                s: {"seconds": round(b - a, 3), "peak_mb": round(sampler.peak(a, b), 1)}
                for s, (a, b) in windows.items()
            }
            stages["render"]["kustomize_seconds"] = round(t["kustomize"], 2)
            questions = {}
            chain_end = f"app-{dims[1] - 1}"
            for question in catalogue().values():
                target = TARGETS.get(question.name, chain_end if question.name == "depends-on" else "app-0-wl-0")
                samples, rows = [], 0
                for _ in range(RUNS):
                    q0 = time.perf_counter()
                    try:
                        rows = len(ask(store, question.name, target if question.takes_target else None, repo=name).rows)
                    except NotFound:
                        rows = 0
                    samples.append(time.perf_counter() - q0)
                questions[question.name] = {
                    "target": target if question.takes_target else None,
                    "rows": rows,
                    "median_ms": round(statistics.median(samples) * 1000, 1),
                    "max_ms": round(max(samples) * 1000, 1),
                }
            store.delete_repo(name)
        return {
            "objects": sum(c.objects for c in result.clusters),
            "generated": counts,
            "shape": dims,
            "nodes": written["nodes"],
            "relationships": written["relationships"],
            "warnings": len(result.warnings),
            "load_seconds": round(end - start, 2),
            "stages": stages,
            "peak_mb": round(max(mb for _, mb in sampler.samples), 1),
            "baseline_mb": round(baseline, 1),
            "kustomize_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            "questions": questions,
        }


def exponent(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x): y ~ x^k."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def report(results: list[dict]) -> None:
    stage_names = ["discover", "render", "extract", "write"]
    print(
        f"{'objects':>8} {'nodes':>7} {'rels':>7} {'load s':>7} "
        + " ".join(f"{s + ' s':>10}" for s in stage_names)
        + f" {'peak MB':>8} {'above base':>10} {'kustomize MB':>12}"
    )
    for r in results:
        print(
            f"{r['objects']:>8} {r['nodes']:>7} {r['relationships']:>7} {r['load_seconds']:>7.1f} "
            + " ".join(f"{r['stages'][s]['seconds']:>10.2f}" for s in stage_names)
            + f" {r['peak_mb']:>8.0f} {r['peak_mb'] - r['baseline_mb']:>10.0f} {r['kustomize_peak_mb']:>12.0f}"
        )
    print("\npeak MB per stage:")
    for r in results:
        print(f"{r['objects']:>8} " + " ".join(f"{s} {r['stages'][s]['peak_mb']:.0f}" for s in stage_names))
    names = list(results[0]["questions"])
    print("\nquestion latency, median (max) ms of", RUNS, "runs; rows of the answer:")
    print(f"{'objects':>8} " + " ".join(f"{n:>18}" for n in names))
    for r in results:
        print(
            f"{r['objects']:>8} "
            + " ".join(
                f"{r['questions'][n]['median_ms']:>7.0f} ({r['questions'][n]['max_ms']:>4.0f}) {r['questions'][n]['rows']:>4}r"
                for n in names
            )
        )
    # fixed costs (process start, kustomize start-up, a cold server) flatten the small
    # sizes: the fit from 1,000 objects up is the one that tells how a load grows
    for subset in (results, [r for r in results if r["objects"] >= 1000]):
        if len(subset) < 3:
            continue
        xs = [r["objects"] for r in subset]
        print(f"\nfitted exponent (y ~ objects^k) over {xs[0]}..{xs[-1]} objects:")
        print(f"  load time           k = {exponent(xs, [r['load_seconds'] for r in subset]):.2f}")
        for s in stage_names:
            print(f"  {s:<19} k = {exponent(xs, [max(r['stages'][s]['seconds'], 1e-3) for r in subset]):.2f}")
        print(f"  peak memory         k = {exponent(xs, [r['peak_mb'] for r in subset]):.2f}")
        print(
            f"  memory above start  k = {exponent(xs, [max(r['peak_mb'] - r['baseline_mb'], 1.0) for r in subset]):.2f}"
        )
    last = results[-1]
    slowest = max(last["questions"].items(), key=lambda kv: kv[1]["max_ms"])
    print(
        f"\nat {last['objects']} objects: load {last['load_seconds']:.1f} s (target < 120), peak {last['peak_mb']:.0f} MB "
        f"(target < 1536), slowest question {slowest[0]} {slowest[1]['max_ms']:.0f} ms (target < 300)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON on stdout
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--report", type=Path, help="print the report of a --json file and exit")
    args = parser.parse_args()
    if args.report:
        report(json.loads(args.report.read_text()))
        return
    if args.one:
        print(json.dumps(one_size(args.one)))
        return
    if not os.environ.get("NEO4J_URI"):
        sys.exit("set NEO4J_URI (the benchmark writes to Neo4j and asks every question)")
    results = []
    # a first small load warms the server (schema, query plans) and is not counted: the
    # smallest size, never more than SIZES[0] (`bench_scale.py 50000` once loaded 50,000 twice)
    warm_up = min(SIZES[0], *args.sizes)
    subprocess.run([sys.executable, __file__, "--one", str(warm_up)], capture_output=True, text=True)
    for size in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"size {size} failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(
            f"  {size}: {r['objects']} objects loaded in {r['load_seconds']} s, peak {r['peak_mb']} MB",
            file=sys.stderr,
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    report(results)


if __name__ == "__main__":
    main()
