"""kg against the peer (issue 21, target 2): `kg load` (embedded) beside flux-local's
`flux-local build ks -A` on the same copy of each corpus, alternating, median of RUNS.

    python benchmarks/bench_peer.py [CORPUS ...]     # default: every folder of ../shared/corpora

Needs, outside the project (nothing here installs them):
  - flux-local 7.11 in a Python 3.12 venv: FLUX_LOCAL (default /work/venv-fluxlocal/bin/flux-local)
  - the `kustomize` v5.5 and `flux` binaries it runs, in PEER_TOOLS (default /work/peer-tools/bin):
    `GOBIN=... go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0`; flux: docs/engines.md
    ("Against flux-local") says how it was built here.
Both tools run with PEER_TOOLS first on PATH, so kg's kustomize is the same binary.

Each corpus is copied into a temporary git repository (flux-local asks git for the root)
with an empty file for each local generator input the corpus left out
(MISSING_REFERENCES.txt; flux-local stops at the first missing file, kg warns). kg loads
with KG_OFFLINE=1 (no chart is fetched; flux-local's `build ks` renders no chart either).
Reported per corpus: wall time and peak memory (the largest process of the tree) of
each, the objects each printed or stored, and kg's split from its own timings: the time
kustomize builds take of the wall time (the render stage less copying the source and
substitution) and helm's, against everything else (start-up, discovery, copying,
substitution, extraction, the write): kg's own work. PEER_SCOPE says which path
flux-local is given per corpus and which cluster kg loads to match it.
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


def measured(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, bytes]:
    """(wall s, peak MB of the largest process of the tree, exit code, stdout)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out.read()


def main(corpora: list[Path]) -> None:
    env = {**os.environ, "PATH": f"{PEER_TOOLS}{os.pathsep}{os.environ['PATH']}", "KG_OFFLINE": "1"}
    kg = [sys.executable, "-m", "kg.cli"]
    print(f"flux-local: {FLUX_LOCAL}; kustomize and flux from {PEER_TOOLS}; {RUNS} runs each, alternating")
    loads = []
    with tempfile.TemporaryDirectory(prefix="kg-peer-") as tmp:
        for corpus in corpora:
            repo = prepare(corpus, Path(tmp))
            path, cluster = PEER_SCOPE.get(corpus.name, (".", None))
            peer_args = [FLUX_LOCAL, "build", "ks", "-A", "--skip-invalid-kustomization-paths", "--path", path]
            peer, mine, split = [], [], []
            for _ in range(RUNS):
                wall, rss, code, out = measured(peer_args, repo, env)
                peer.append((wall, rss, code, out.count(b"\nkind: ") + out.startswith(b"kind: ")))
                graph = Path(tmp) / "graph" / corpus.name
                shutil.rmtree(graph.parent, ignore_errors=True)
                load = kg + ["load", str(repo), "--engine", "embedded", "--graph", str(graph), "--format", "json"]
                load += ["--cluster", cluster] if cluster else []
                wall, rss, code, out = measured(load, repo, env)
                report = json.loads(out) if code in (0, 3) else {}
                seconds = report.get("seconds", {})
                objects = sum(c.get("objects", 0) for c in report.get("clusters", []))
                mine.append((wall, rss, code, objects))
                # kustomize's share of the wall time: the render stage less kg's own parts of
                # it (copying the source, substitution); the rest of the render waits on builds
                in_render = seconds.get("prepare", 0.0) + seconds.get("substitute", 0.0)
                kustomize_wall = max(0.0, seconds.get("render", 0.0) - in_render)
                split.append((wall, kustomize_wall, seconds.get("helm", 0.0), seconds.get("kustomize", 0.0)))
                loads.append(os.getloadavg()[0])
            med = statistics.median
            peer_ok = sum(1 for p in peer if p[2] == 0)
            total, kustomize, helm, builds = (med(s[i] for s in split) for i in range(4))
            own = max(0.0, total - kustomize - helm)
            ratio = med(m[0] for m in mine) / med(p[0] for p in peer)
            comparable = peer_ok == RUNS and med(p[3] for p in peer) >= 0.5 * med(m[3] for m in mine)
            print(
                f"{corpus.name}: flux-local {med(p[0] for p in peer):.1f} s {med(p[1] for p in peer):.0f} MB "
                f"{med(p[3] for p in peer):.0f} objects ({peer_ok}/{RUNS} exit 0) | "
                f"kg {med(m[0] for m in mine):.1f} s {med(m[1] for m in mine):.0f} MB {med(m[3] for m in mine):.0f} objects | "
                f"kg/flux-local {ratio:.2f}{'' if comparable else ' (not comparable: flux-local failed or rendered less)'}"
                f" | kg's split: kustomize {kustomize:.1f} s wall ({builds:.1f} s summed over parallel builds), helm {helm:.1f} s, "
                f"kg's own {own:.1f} s ({own / total:.0%} of its wall time)",
                flush=True,
            )
    print(f"load average during the runs: {min(loads):.1f} to {max(loads):.1f} (2 cores)")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    main(args or sorted(p for p in CORPORA.iterdir() if p.is_dir()))
