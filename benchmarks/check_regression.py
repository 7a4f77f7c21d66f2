"""Regression check (issue 21): measure the figures recorded in docs/engines.md ("Recorded
figures") again and fail when one is more than 25% worse. Not a timed test: run it by
hand or in a nightly job, on a quiet machine (it prints the load average).

    python benchmarks/check_regression.py            # memory per corpus, start-up
    python benchmarks/check_regression.py --scale    # also the 20,560-object load and questions

Each `kg` runs as its own process (peak memory is the whole process tree's largest
resident set, the way /usr/bin/time -v reports it); timings are medians of 5 runs.
Exit status 1 when a figure regressed, 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
DOC = ROOT / "docs" / "engines.md"
TOLERANCE = 1.25  # a figure may be up to 25% worse than recorded
RUNS = 5
# `| name | value | unit |` rows of the docs/engines.md table under "Recorded figures"
ROW = re.compile(r"^\|\s*`(?P<name>[^`]+)`\s*\|\s*(?P<value>[0-9.,]+)\s*\|\s*(?P<unit>MB|ms|s)\s*\|")


def recorded() -> dict[str, float]:
    text = DOC.read_text()
    section = text.split("### Recorded figures", 1)[-1]
    return {m["name"]: float(m["value"].replace(",", "")) for line in section.splitlines() if (m := ROW.match(line))}


def kg_cmd() -> list[str]:
    return [sys.executable, "-m", "kg.cli"]


def run_measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB of the process and its children) of one
    command. CPU time (user + system) is the start-up figure checked: on a shared machine
    the wall time mostly measures the others' load."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 3):  # 3: loaded with warnings (README, exit codes)
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    # ru_maxrss of wait4 is the largest of the process and the children it waited for
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def load_memory(repo: Path, graph: Path) -> float:
    return run_measured(
        kg_cmd() + ["load", str(repo), "--engine", "embedded", "--graph", str(graph)], {"KG_OFFLINE": "1"}
    )[2]


def measure(scale: bool) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="kg-regress-") as tmp:
        corpora = Path(os.environ.get("KG_CORPORA", ROOT.parent / "shared" / "corpora"))
        for repo in sorted(p for p in corpora.iterdir() if p.is_dir()) if corpora.is_dir() else []:
            figures[f"load memory {repo.name}"] = load_memory(repo, Path(tmp) / repo.name / "graph")
        example_graph = Path(tmp) / "example" / "graph"
        figures["load memory examples/platform"] = load_memory(ROOT / "examples" / "platform", example_graph)
        ask = kg_cmd() + ["ask", "where", "papi", "--engine", "embedded", "--graph", str(example_graph)]
        runs = [run_measured(ask) for _ in range(RUNS)]
        figures["start-up kg ask where papi, cpu"] = statistics.median(r[1] for r in runs) * 1000
        figures["start-up kg ask where papi, wall"] = statistics.median(r[0] for r in runs) * 1000
        if scale:
            from generate_repo import generate, shape

            repo = Path(tmp) / "synthetic"
            generate(repo, *shape(20000))
            graph = Path(tmp) / "synthetic-graph" / "graph"
            figures["load memory 20k"] = load_memory(repo, graph)
            figures.update(question_medians(graph))
            shutil.rmtree(repo)
    return figures


def question_medians(graph: Path) -> dict[str, float]:
    """Median ms of each question at 20k, in this process (start-up excluded), the
    targets of benchmarks/bench_scale.py."""
    from bench_scale import TARGETS

    from kg.errors import KgError
    from kg.questions import ask, catalogue
    from kg.store import open_store

    store = open_store("embedded", graph=str(graph))
    out = {}
    for question in catalogue().values():
        target = TARGETS.get(question.name, "app-62" if question.name == "depends-on" else "app-0-wl-0")
        samples = []
        for _ in range(RUNS):
            start = time.perf_counter()
            try:
                ask(
                    store,
                    question.name,
                    target if question.takes_target else None,
                    cluster="cluster-0" if question.single else None,
                )
            except KgError:
                pass
            samples.append(time.perf_counter() - start)
        out[f"20k ask {question.name}"] = statistics.median(samples) * 1000
    store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="also the 20,560-object repository (minutes)")
    args = parser.parse_args()
    expected = recorded()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; tolerance +{(TOLERANCE - 1) * 100:.0f}%")
    worse = []
    for name, value in measure(args.scale).items():
        base = expected.get(name)
        verdict = "not recorded" if base is None else ("WORSE" if value > base * TOLERANCE else "ok")
        print(f"  {name:<48} {value:>9.0f}   recorded {base if base is not None else '-':>7}   {verdict}")
        if verdict == "WORSE":
            worse.append(name)
    if worse:
        sys.exit(f"{len(worse)} figure(s) more than 25% worse than docs/engines.md: {', '.join(worse)}")


if __name__ == "__main__":
    main()
