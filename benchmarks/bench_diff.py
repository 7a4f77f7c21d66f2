"""`kg diff` of a one-line change against one `kg load`, with and without the render cache.

    python benchmarks/bench_diff.py [REPO]   # default: the largest corpus (joryirving)

The repository is copied into a temporary git repository (the corpus is only read); the
change is one image tag of a HelmRelease (the first `tag:` line found), left in the work
tree, and `kg diff HEAD` compares the commit with it. Charts are rendered offline (from an
empty chart cache: no network), as in the tests. Prints the times and the ratio the issue
targets (diff with a warm cache at most 1.5 times one load). Each figure but the cold-cache
load is the best of KG_BENCH_REPEAT runs (default 2). Figures, not assertions.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = Path(os.environ.get("KG_CORPORA", ROOT.parent / "shared" / "corpora"))
DEFAULT = CORPORA / "joryirving__home-ops"
TAG = re.compile(r"^(\s+tag:\s*)(\S+)\s*$", re.MULTILINE)
REPEAT = int(os.environ.get("KG_BENCH_REPEAT", "2"))
GIT = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench", "-c", "commit.gpgsign=false"]


def one_line_change(repo: Path) -> str:
    for path in sorted(repo.rglob("helmrelease.yaml")):
        text = path.read_text()
        match = TAG.search(text)
        if match:
            new = text[: match.start(2)] + match.group(2).strip("\"'") + "-bench" + text[match.end(2) :]
            path.write_text(new)
            return f"{path.relative_to(repo)}: tag {match.group(2)} -> {match.group(2)}-bench"
    raise SystemExit(f"no HelmRelease with an image tag in {repo}")


def timed(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", "from kg.cli import main; main()", *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if proc.returncode not in ok:
        raise SystemExit(f"kg {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return seconds


def main(source: Path) -> None:
    if not source.is_dir():
        raise SystemExit(f"{source}: not found (set KG_CORPORA or give a repository)")
    with tempfile.TemporaryDirectory(prefix="kg-bench-diff-") as tmp:
        base = Path(tmp)
        repo = base / source.name
        shutil.copytree(source, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
        subprocess.run([*GIT, "-C", str(repo), "commit", "-q", "-m", "base"], check=True)
        change = one_line_change(repo)
        env = dict(
            os.environ,
            KG_OFFLINE="1",
            KG_CHART_CACHE=str(base / "charts"),
            KG_GRAPH=str(base / "graph" / "graph"),
            KG_ENGINE="embedded",
        )
        env.pop("NEO4J_URI", None)
        off = dict(env, KG_RENDER_CACHE="off")
        cached = dict(env, KG_RENDER_CACHE=str(base / "render-cache"))
        load = ["load", str(repo), "--format", "json"]
        diff = ["diff", "HEAD", "-C", str(repo), "--format", "json"]
        # the machine may be shared: each figure is the best of REPEAT runs
        figures = {
            "load, no cache": min(timed(load, off) for _ in range(REPEAT)),
            "diff, no cache": min(timed(diff, off, (0, 1)) for _ in range(REPEAT)),
            "load, cold cache (fills it)": timed(load, cached),
            "load, warm cache": min(timed(load, cached) for _ in range(REPEAT)),
            "diff, warm cache": min(timed(diff, cached, (0, 1)) for _ in range(REPEAT)),
        }
    print(f"{source.name}: one-line change {change}")
    for name, seconds in figures.items():
        print(f"  {name:<30} {seconds:7.1f} s")
    print(
        f"  diff (warm cache) / load (no cache): {figures['diff, warm cache'] / figures['load, no cache']:.2f}x"
        f"   diff (warm) / load (warm): {figures['diff, warm cache'] / figures['load, warm cache']:.2f}x"
        f"   diff / load, no cache: {figures['diff, no cache'] / figures['load, no cache']:.2f}x   (target: diff warm <= 1.5x load)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
