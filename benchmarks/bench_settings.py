"""What the settings records (issue 17: Setting nodes, HAS_SETTING, their USES_VAR) cost a load.

    KG_OFFLINE=1 python benchmarks/bench_settings.py [REPO] [--runs N]

Default REPO: the largest corpus, ../shared/corpora/joryirving__home-ops. Each run is
`kg load` as a user runs it: render + extract (load_repo) and the write into a fresh
embedded graph file. Prints the median of the runs per stage, the records the settings
add and their share of the graph. Compare the figures of a commit without settings
(`git stash`/another checkout) with these: the issue's budget is +25% load time.
Figures, not assertions.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpora" / "joryirving__home-ops"


def main(path: Path, runs: int) -> None:
    from kg.loaders import load_repo
    from kg.store import open_store

    stages: dict[str, list[float]] = {"load_repo": [], "extract": [], "write": [], "total": []}
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = load_repo(path, repo_name="bench-settings")
        loaded = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store("embedded", graph=str(Path(tmp) / "graph"))
            store.write(result.graph, "bench-settings", None)
            store.close()
        end = time.perf_counter()
        stages["load_repo"].append(loaded - start)
        stages["extract"].append(result.timings["extract"])
        stages["write"].append(end - loaded)
        stages["total"].append(end - start)
    assert result is not None
    print(f"== {path} ({runs} runs, medians)")
    for stage, samples in stages.items():
        print(f"  {stage:<10} {statistics.median(samples) * 1000:8.0f} ms")
    nodes = result.graph.nodes.values()
    settings = sum(1 for n in nodes if n.label == "Setting")
    rels = list(result.graph.rels.values())
    has_setting = sum(1 for r in rels if r.type == "HAS_SETTING")
    setting_vars = sum(1 for r in rels if r.type == "USES_VAR" and r.start_label == "Setting")
    print(f"  graph      {len(result.graph.nodes)} nodes, {len(rels)} relationships")
    print(
        f"  settings   {settings} Setting nodes ({settings * 100 / max(len(result.graph.nodes), 1):.0f}% of nodes), "
        f"{has_setting} HAS_SETTING, {setting_vars} USES_VAR from settings"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    runs = 3
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i : i + 2]
    main(Path(args[0]) if args else DEFAULT, runs)
