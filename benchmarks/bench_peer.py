"""kg against the peer (issue 21, target 2): `kg load` (embedded) beside flux-local's
`flux-local build ks -A` on the same copy of each corpus, alternating, median of RUNS.

    python benchmarks/bench_peer.py [CORPUS ...]     # default: every folder of ../shared/corpora
    KG_BEFORE=/path/to/other/venv/bin/python python benchmarks/bench_peer.py ...
                                   # also another kg (e.g. main's), in the same alternation

Needs, outside the project (nothing here installs them):
  - flux-local 7.11 in a Python 3.12 venv: FLUX_LOCAL (default /work/venv-fluxlocal/bin/flux-local)
  - the `kustomize` v5.5 and `flux` binaries it runs, in PEER_TOOLS (default /work/peer-tools/bin):
    `GOBIN=... go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0`; flux: docs/engines.md
    ("Against flux-local") says how it was built here.
Both tools run with PEER_TOOLS first on PATH. kg renders with what it finds first
(loaders/kustomize.py): kg-kustomize-server (the same kustomize v5.5, its build command
serving every build of a worker from one process) when scripts/kustomize-local built it,
else that same kustomize binary; each kg row names the command.

Each corpus is copied into a temporary git repository (flux-local asks git for the root)
with an empty file for each local generator input the corpus left out
(MISSING_REFERENCES.txt; flux-local stops at the first missing file, kg warns). kg loads
with KG_OFFLINE=1 (no chart is fetched; flux-local's `build ks` renders no chart either).
Reported per corpus: wall time and peak memory (the largest process of the tree) of
each, the objects each printed or stored, and kg's split from its own timings: the time
kustomize builds take of the wall time (the render stage less copying the source and
substitution) and helm's, against everything else (start-up, discovery, copying,
substitution, extraction, the write): kg's own work. Also the CPU time (user + system)
of each process tree, and kg's kustomize builds (render cache misses: the cache is
empty at each load). PEER_SCOPE says which path flux-local is given per corpus and which
cluster kg loads to match it.
Figures, not assertions.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = Path(os.environ.get("KG_CORPORA", ROOT.parent / "shared" / "corpora"))
FLUX_LOCAL = os.environ.get("FLUX_LOCAL", "/work/venv-fluxlocal/bin/flux-local")
PEER_TOOLS = os.environ.get("PEER_TOOLS", "/work/peer-tools/bin")
RUNS = int(os.environ.get("RUNS", "3"))
# flux-local's --path per corpus, and the cluster kg loads to match it (None: every one).
# Where flux-local stops (a remote resource it must fetch, a file its YAML parser refuses
# under the path) the narrowest path that renders is used: joryirving's main cluster.
PEER_SCOPE: dict[str, tuple[str, str | None]] = {
    "fluxcd__flux2-kustomize-helm-example": ("clusters", None),
    "toboshii__home-ops": ("cluster/flux", None),
    "xUnholy__k8s-gitops": ("kubernetes/clusters/cluster-0", None),
    "joryirving__home-ops": ("kubernetes/clusters/main", "main"),
    "buroa__k8s-gitops": ("kubernetes/flux", None),
}


def prepare(corpus: Path, into: Path) -> Path:
    """A git repository holding the corpus and an empty file per missing local input."""
    repo = into / corpus.name
    shutil.copytree(corpus, repo, symlinks=True)
    missing = corpus / "MISSING_REFERENCES.txt"
    if missing.is_file():
        for line in missing.read_text().splitlines()[1:]:
            kustomization, _, referenced, *_ = (line.split("\t") + ["", "", ""])[:4]
            if not referenced or "://" in referenced:
                continue
            target = (repo / kustomization).parent / referenced
            if repo.resolve() in target.resolve().parents and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()
    git = ["git", "-c", "user.email=bench@example.invalid", "-c", "user.name=bench"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run(git + args, cwd=repo, check=True, capture_output=True)
    return repo


CPU: dict[int, float] = {}  # pid -> CPU seconds (user + system) of its process tree


def measured(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, bytes]:
    """(wall s, peak MB of the largest process of the tree, exit code, stdout); the tree's
    CPU seconds go to CPU[-1]."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        CPU[-1] = usage.ru_utime + usage.ru_stime  # a process's usage includes its waited-for children
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out.read()


def kg_row(name: str, runs: list[tuple[float, ...]], tool: str) -> str:
    """One kg's medians: wall, memory, objects, CPU, builds, and the split of its wall time."""
    med = statistics.median
    wall, rss, objects, cpu, builds, kustomize, helm, summed = (med(r[i] for r in runs) for i in range(8))
    own = max(0.0, wall - kustomize - helm)
    return (
        f"{name} ({Path(tool.split(' ', 1)[0]).name or '?'}) {wall:.1f} s {rss:.0f} MB {objects:.0f} objects, CPU {cpu:.1f} s, {builds:.0f} kustomize builds | "
        f"kustomize {kustomize:.1f} s wall ({summed:.1f} s summed over parallel builds), helm {helm:.1f} s, "
        f"kg's own {own:.1f} s ({own / wall:.0%} of its wall time)"
    )


TOOLS: dict[str, str] = {}  # kg's python -> the kustomize command its last load named


def kg_load(python: str, repo: Path, graph: Path, cluster: str | None, env: dict[str, str]) -> tuple[float, ...]:
    """One `kg load` (embedded): wall, MB, objects, CPU, builds, kustomize's wall share,
    helm, kustomize summed."""
    shutil.rmtree(graph.parent, ignore_errors=True)
    load = [python, "-m", "kg.cli", "load", str(repo), "--engine", "embedded", "--graph", str(graph)]
    load += ["--format", "json"] + (["--cluster", cluster] if cluster else [])
    wall, rss, code, out = measured(load, repo, env)
    report = json.loads(out) if code in (0, 3) else {}
    TOOLS[python] = report.get("kustomize", "")
    seconds = report.get("seconds", {})
    objects = sum(c.get("objects", 0) for c in report.get("clusters", []))
    cache = report.get("render_cache") or {}
    # kustomize's share of the wall time: the render stage less kg's own parts of it
    # (copying the source, substitution); the rest of the render waits on builds
    in_render = seconds.get("prepare", 0.0) + seconds.get("substitute", 0.0)
    kustomize_wall = max(0.0, seconds.get("render", 0.0) - in_render)
    builds = cache.get("hits", 0) + cache.get("misses", 0)
    return (
        wall,
        rss,
        objects,
        CPU[-1],
        builds,
        kustomize_wall,
        seconds.get("helm", 0.0),
        seconds.get("kustomize", 0.0),
    )


def main(corpora: list[Path]) -> None:
    env = {**os.environ, "PATH": f"{PEER_TOOLS}{os.pathsep}{os.environ['PATH']}", "KG_OFFLINE": "1"}
    kgs = [("kg", sys.executable)] + ([("kg before", os.environ["KG_BEFORE"])] if os.environ.get("KG_BEFORE") else [])
    print(f"flux-local: {FLUX_LOCAL}; kustomize and flux from {PEER_TOOLS}; {RUNS} runs each, alternating")
    loads = []
    with tempfile.TemporaryDirectory(prefix="kg-peer-") as tmp:
        for corpus in corpora:
            repo = prepare(corpus, Path(tmp))
            path, cluster = PEER_SCOPE.get(corpus.name, (".", None))
            peer_args = [FLUX_LOCAL, "build", "ks", "-A", "--skip-invalid-kustomization-paths", "--path", path]
            peer: list[tuple[float, float, int, int, float]] = []
            mine: dict[str, list[tuple[float, ...]]] = {name: [] for name, _ in kgs}
            for run in range(RUNS):
                wall, rss, code, out = measured(peer_args, repo, env)
                peer.append((wall, rss, code, out.count(b"\nkind: ") + out.startswith(b"kind: "), CPU[-1]))
                # alternate which kg goes first, so neither always follows flux-local
                for name, python in kgs if run % 2 == 0 else kgs[::-1]:
                    mine[name].append(kg_load(python, repo, Path(tmp) / "graph" / corpus.name, cluster, env))
                loads.append(os.getloadavg()[0])
            med = statistics.median
            peer_ok = sum(1 for p in peer if p[2] == 0)
            peer_wall = med(p[0] for p in peer)
            print(
                f"{corpus.name}: flux-local {peer_wall:.1f} s {med(p[1] for p in peer):.0f} MB "
                f"{med(p[3] for p in peer):.0f} objects, CPU {med(p[4] for p in peer):.1f} s ({peer_ok}/{RUNS} exit 0)",
                flush=True,
            )
            for name, python in kgs:
                runs = mine[name]
                ratio = med(r[0] for r in runs) / peer_wall
                comparable = peer_ok == RUNS and med(p[3] for p in peer) >= 0.5 * med(r[2] for r in runs)
                print(
                    f"  {kg_row(name, runs, TOOLS.get(python, ''))} | kg/flux-local {ratio:.2f}"
                    f"{'' if comparable else ' (not comparable: flux-local failed or rendered less)'}",
                    flush=True,
                )
    print(f"load average during the runs: {min(loads):.1f} to {max(loads):.1f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    main(args or sorted(p for p in CORPORA.iterdir() if p.is_dir()))
