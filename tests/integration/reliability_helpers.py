"""Helpers of the reliability tests: a `kg load` subprocess that can be paused at a
named point (KG_TEST_PAUSE_AT, see kg/store/pause.py), resumed or killed, and a
full snapshot of a repository's graph (load tags included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate_repo import generate  # noqa: E402


def generated_repo(path: Path, clusters: int = 2, kustomizations: int = 2, workloads: int = 2) -> Path:
    generate(path, clusters, kustomizations, workloads)
    return path


def change(repo: Path) -> None:
    """A second version of a generated repository: app-1 of cluster-0 removed, a value changed."""
    import yaml

    apps = repo / "clusters/cluster-0/apps.yaml"
    docs = [d for d in yaml.safe_load_all(apps.read_text()) if d["metadata"]["name"] != "app-1"]
    apps.write_text(yaml.safe_dump_all(docs))
    vars_file = repo / "clusters/cluster-0/vars.yaml"
    vars_file.write_text(vars_file.read_text().replace("log_level: info", "log_level: debug"))


def two_versions(tmp_path: Path) -> tuple[Path, Path]:
    """A generated repository and its second version (see change)."""
    v1 = generated_repo(tmp_path / "v1")
    v2 = generated_repo(tmp_path / "v2")
    change(v2)
    return v1, v2


class KgProcess:
    """`python -m kg.cli ARGS` in its own process group; stderr is collected by a thread."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        self.stderr_lines: list[str] = []
        self.stdout_lines: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.proc.stderr, self.stderr_lines), (self.proc.stdout, self.stdout_lines))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            if self.proc.poll() is not None and not self._readers[0].is_alive():
                raise AssertionError(f"kg exited ({self.proc.returncode}) before {text!r}: {self.stderr}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout} s: {self.stderr}")
            time.sleep(0.05)

    def resume(self) -> None:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def kill9(self) -> None:
        """SIGKILL the whole process group (kg and any kustomize it started)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise
        for reader in self._readers:
            reader.join(timeout=10)
        self.proc.stdin.close()
        return self.proc.returncode, "".join(self.stdout_lines), self.stderr


def snapshot(store, repo: str, cluster: str | None = None, with_tags: bool = True):
    """Every node and relationship of a repository (or of one of its clusters), with
    every property; load tags and load times dropped unless `with_tags`."""
    scope = "n.repo = $repo AND ($cluster IS NULL OR n.cluster = $cluster)"
    nodes = store.query(
        f"MATCH (n) WHERE {scope} RETURN n.id AS id, labels(n) AS labels, properties(n) AS p ORDER BY id",
        {"repo": repo, "cluster": cluster},
    )
    rels = store.query(
        f"MATCH (n)-[r]->(b) WHERE {scope} RETURN n.id AS a, type(r) AS t, b.id AS b, properties(r) AS p ORDER BY a, t, b, r.rel_key",
        {"repo": repo, "cluster": cluster},
    )
    drop = set() if with_tags else {"load_tag", "loaded_at"}

    def props(p):
        return {k: v for k, v in sorted(p.items()) if k not in drop}

    return (
        [(n["id"], n["labels"], props(n["p"])) for n in nodes],
        [(r["a"], r["t"], r["b"], props(r["p"])) for r in rels],
    )


def load_tags(store, repo: str) -> set[str]:
    rows = store.query(
        "MATCH (n) WHERE n.repo = $repo RETURN DISTINCT n.load_tag AS tag "
        "UNION MATCH (n)-[r]->() WHERE n.repo = $repo RETURN DISTINCT r.load_tag AS tag",
        {"repo": repo},
    )
    return {r["tag"] for r in rows}
