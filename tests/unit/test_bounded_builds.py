"""Bounded, so one file cannot hang a load: kg refuses YAML alias bombs before expanding
them (its own reading, and what it would hand to kustomize), and every kustomize run has a
timeout and a memory limit; the path fails with a warning, the rest of the repo loads."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kg.loaders import load_repo
from kg.loaders.kustomize import REPO_TREE, Workspace, kustomize_command
from kg.loaders.limits import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    BuildLimits,
    kill_running_children,
    run_bounded,
)
from kg.loaders.yamlio import ALIAS_REFUSED, ExcessiveAliasing, excessive_aliasing_line, load_documents, safe_load

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform"
CORESTATE_KS = "flux-system/runwhen-corestate"


def alias_bomb(levels: int = 9, fan_out: int = 9) -> str:
    """A ConfigMap whose `lols` field is `levels` levels of `fan_out` aliases: a few hundred
    bytes standing for fan_out**levels strings (9**9: 387 million)."""
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: lol", "  namespace: corestate", "lols:"]
    lines.append("  l0: &l0 [" + ", ".join(['"lol"'] * fan_out) + "]")
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


BOMB = alias_bomb()
BOMB_LINE = 11  # where its expansion passes the bound: `l4` stands for 9**5 nodes


def example_copy(tmp_path: Path) -> Path:
    repo = tmp_path / "platform"
    shutil.copytree(EXAMPLE, repo)
    return repo


def list_in_corestate(repo: Path, filename: str) -> None:
    kustomization = repo / "apps/corestate/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().rstrip("\n") + f"\n  - {filename}\n")


def executable(path: Path, text: str) -> str:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def process_gone(pid: int) -> bool:
    """Not running: no such process, or a zombie left for a reaper (containers' PID 1 may not reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")


def group_gone(pgid: int) -> bool:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                members.append(entry.name)
    return not members


# -- kg's own YAML reading ------------------------------------------------------------
def test_alias_bomb_is_refused_before_expansion_and_neighbours_load():
    good = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n"
    text = good % "before" + "---\n" + BOMB + "---\n" + good % "after"
    started = time.perf_counter()
    docs, warnings = load_documents(text, "apps/bomb.yaml")
    assert time.perf_counter() - started < 1
    assert [d["metadata"]["name"] for _, d in docs] == ["before", "after"]
    assert [(w.file, w.line, w.reason) for w in warnings] == [("apps/bomb.yaml", 4 + BOMB_LINE, ALIAS_REFUSED)]


def test_reasonable_aliasing_is_read_and_endless_aliasing_refused():
    # merge keys and a block reused many times (5 nodes x 1,000 uses) stay under the bound
    merge = "base: &base {image: web, port: 80}\nweb:\n  <<: *base\n  port: 8080\n"
    assert load_documents(merge, "m.yaml")[0][0][1]["web"] == {"image": "web", "port": 8080}
    reused = "block: &b {a: 1, b: 2}\nuses: [" + ", ".join(["*b"] * 1000) + "]\n"
    docs, warnings = load_documents(reused, "r.yaml")
    assert warnings == [] and len(docs[0][1]["uses"]) == 1000
    # a bound linear in the document's size: ten times its own nodes
    wide = "block: &b [" + ", ".join(["x"] * 3000) + "]\nuses: [" + ", ".join(["*b"] * 9) + "]\n"
    assert load_documents(wide, "w.yaml")[1] == []
    # JSON-style flow, where `:` touches the anchor and the alias: refused too
    json_bomb = (
        '{"l0": &l0 ["lol", "lol", "lol"]'
        + "".join(f', "l{i}":&l{i} [' + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9))
        + "}"
    )
    assert load_documents(json_bomb, "j.yaml")[1][0].reason == ALIAS_REFUSED
    # an alias inside its own anchor expands forever
    assert load_documents("a: &a [*a]\n", "c.yaml")[1][0].reason == ALIAS_REFUSED


def test_files_handed_to_kustomize_are_checked_without_building_anything():
    assert excessive_aliasing_line("a: '*'\nb: x && y\n") is None  # no alias token: not even composed
    assert excessive_aliasing_line("ok: 1\n---\n" + BOMB) == 2 + BOMB_LINE
    with pytest.raises(ExcessiveAliasing):
        safe_load(BOMB)


# -- a whole load ---------------------------------------------------------------------
def test_alias_bomb_in_built_paths_fails_fast_and_the_rest_of_the_repo_loads(tmp_path):
    repo = example_copy(tmp_path)
    # listed by a kustomization file: its Kustomization fails, as in Flux
    (repo / "apps/corestate/bomb.yaml").write_text(BOMB)
    list_in_corestate(repo, "bomb.yaml")
    # in the cluster folder (a generated kustomization): left out, the root still builds
    (repo / "clusters/platform-cluster/bomb.yaml").write_text(BOMB)
    started = time.perf_counter()
    result = load_repo(repo)
    elapsed = time.perf_counter() - started
    assert elapsed < 20, f"{elapsed:.1f} s: the bomb was expanded (the build timeout is {DEFAULT_TIMEOUT_S:g} s)"

    refused = {(w.file, w.line) for w in result.warnings if w.reason.startswith(ALIAS_REFUSED)}
    assert refused == {("apps/corestate/bomb.yaml", BOMB_LINE), ("clusters/platform-cluster/bomb.yaml", BOMB_LINE)}
    kustomizations = result.renders[0].kustomizations
    failed = {key: ks.render_error for key, ks in kustomizations.items() if ks.render_error}
    assert list(failed) == [CORESTATE_KS]
    assert "apps/corestate/bomb.yaml" in failed[CORESTATE_KS] and ALIAS_REFUSED in failed[CORESTATE_KS]
    failure_warnings = [w for w in result.warnings if w.reason.startswith(f"Kustomization {CORESTATE_KS}: ")]
    assert any("apps/corestate/bomb.yaml" in w.reason for w in failure_warnings)
    # the other twelve Kustomizations rendered, the root included
    assert len(kustomizations) == 13
    assert all(ks.objects for key, ks in kustomizations.items() if key != CORESTATE_KS)
    assert any(r.kind == "Deployment" for ks in kustomizations.values() for r in ks.objects)


def test_a_build_that_reads_a_bomb_through_other_kustomizations_is_not_run(tmp_path):
    bomb_base = {
        "base/kustomization.yaml": "resources: [bomb.yaml]\n",
        "base/bomb.yaml": BOMB,
        "overlay/kustomization.yaml": "resources: [../base]\n",
        "generated/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept}\n",
        "generated/sub/kustomization.yaml": "components: [../../component]\n",
        "component/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "patches: [{path: patch.yaml}]\n",
        "component/patch.yaml": BOMB,
        "plain/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n",
    }
    for rel, text in bomb_base.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    with Workspace(tmp_path) as ws:
        overlay = ws.build(REPO_TREE, "overlay", {})
        generated = ws.build(REPO_TREE, "generated", {})
        inline_patch = ws.build(REPO_TREE, "plain", {"patches": [{"patch": BOMB, "target": {"kind": "ConfigMap"}}]})
        assert ws.limit_hits == []
    # an explicit kustomization reading it, two levels down: failed, kustomize not run
    assert "base/bomb.yaml" in overlay.error and overlay.seconds == 0
    assert [(w.file, w.line) for w in overlay.warnings] == [("base/bomb.yaml", BOMB_LINE)]
    # a generated kustomization: the subfolder reading it (through a component's patch) is left out
    assert generated.error == "" and [o["metadata"]["name"] for o, _, _ in generated.objects] == ["kept"]
    assert any(w.file == "component/patch.yaml" and "./sub is left out" in w.reason for w in generated.warnings)
    # the Flux Kustomization's own inline patch
    assert ALIAS_REFUSED in inline_patch.error and inline_patch.seconds == 0


# -- the limits: timeout and memory ---------------------------------------------------
def test_a_build_that_sleeps_forever_is_killed_with_its_process_group(tmp_path, monkeypatch):
    real = " ".join(kustomize_command())
    pids = tmp_path / "pids"
    # a kustomize that hangs on apps/corestate (with a child of its own) and builds the rest
    fake = executable(
        tmp_path / "kustomize-hangs",
        f"""#!/bin/sh
for last; do :; done
case "$last" in
  */apps/corestate)
    sleep 1000 &
    echo "$$ $!" > {pids}
    wait ;;
  *) exec {real} "$@" ;;
esac
""",
    )
    monkeypatch.setenv("KG_KUSTOMIZE", fake)
    monkeypatch.setenv("KG_BUILD_TIMEOUT", "2")
    started = time.perf_counter()
    result = load_repo(example_copy(tmp_path))
    elapsed = time.perf_counter() - started
    assert elapsed < 30

    kustomizations = result.renders[0].kustomizations
    assert [key for key, ks in kustomizations.items() if ks.render_error] == [CORESTATE_KS]
    error = kustomizations[CORESTATE_KS].render_error
    assert "apps/corestate" in error and "timed out after 2 s" in error and "KG_BUILD_TIMEOUT" in error
    # the load summary reports the limit that was hit
    assert result.clusters[0].limits_hit == ["apps/corestate: timed out after 2 s (limit KG_BUILD_TIMEOUT), killed"]
    assert any("timed out after 2 s" in w.reason and CORESTATE_KS in w.reason for w in result.warnings)
    leader, child = (int(pid) for pid in pids.read_text().split())
    assert group_gone(leader) and process_gone(leader) and process_gone(child)
    assert all(ks.objects for key, ks in kustomizations.items() if key != CORESTATE_KS)


def test_a_build_past_the_memory_limit_fails_and_the_hit_is_recorded(tmp_path, monkeypatch):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    # a kustomize that allocates 1 GB at once: under a 200 MB limit the allocation fails
    greedy = executable(tmp_path / "kustomize-greedy", f"#!{sys.executable}\nblock = bytearray(1024 ** 3)\n")
    monkeypatch.setenv("KG_KUSTOMIZE", greedy)
    with Workspace(tmp_path, limits=BuildLimits(timeout_s=60, memory_mb=200)) as ws:
        result = ws.build(REPO_TREE, "apps", {})
        hits = list(ws.limit_hits)
    assert result.limit_hit is not None and result.limit_hit.limit == "memory" and result.limit_hit.value == 200
    assert "ran out of memory at 200 MB" in result.error and "KG_BUILD_MEMORY_MB" in result.error
    assert [(hit.path, hit.hit.limit) for hit in hits] == [("apps", "memory")]
    # a limit hit is not retried file by file (that would multiply the wait)
    assert result.seconds < 30


def test_kubectl_starts_under_the_memory_limit_and_is_stopped_by_it_on_a_bomb(tmp_path):
    # RLIMIT_DATA (not RLIMIT_AS: kubectl fails to start under some address-space limits)
    (tmp_path / "ok/cm.yaml").parent.mkdir()
    (tmp_path / "ok/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "ok/kustomization.yaml").write_text("resources: [cm.yaml]\n")
    for memory_mb in (100, 800, 1200, DEFAULT_MEMORY_MB):
        run = run_bounded(kustomize_command() + [str(tmp_path / "ok")], tmp_path, 60, memory_mb)
        assert run.returncode == 0 and run.limit_hit is None and "name: a" in run.stdout, (memory_mb, run.stderr[:300])
    # the backstop behind kg's refusal: kustomize itself on the bomb, stopped by the limit
    (tmp_path / "bomb/bomb.yaml").parent.mkdir()
    (tmp_path / "bomb/bomb.yaml").write_text(BOMB)
    (tmp_path / "bomb/kustomization.yaml").write_text("resources: [bomb.yaml]\n")
    run = run_bounded(kustomize_command() + [str(tmp_path / "bomb")], tmp_path, 60, 300)
    assert run.limit_hit is not None and run.limit_hit.limit == "memory", run.stderr[:300]
    assert run.seconds < 30


def test_limit_settings_are_read_in_one_place():
    assert BuildLimits.from_env({}) == (BuildLimits(DEFAULT_TIMEOUT_S, DEFAULT_MEMORY_MB), [])
    assert BuildLimits.from_env({"KG_BUILD_TIMEOUT": "2.5", "KG_BUILD_MEMORY_MB": "512"}) == (BuildLimits(2.5, 512), [])
    assert BuildLimits.from_env({"KG_BUILD_TIMEOUT": "0", "KG_BUILD_MEMORY_MB": "0"}) == (BuildLimits(None, None), [])
    limits, problems = BuildLimits.from_env({"KG_BUILD_TIMEOUT": "2m", "KG_BUILD_MEMORY_MB": "-1"})
    assert limits == BuildLimits(DEFAULT_TIMEOUT_S, DEFAULT_MEMORY_MB)
    assert len(problems) == 2 and "KG_BUILD_TIMEOUT='2m'" in problems[0]


def test_only_an_allocation_failure_counts_as_the_memory_limit():
    from kg.loaders.limits import out_of_memory

    assert out_of_memory(2, "fatal error: runtime: out of memory\n\ngoroutine 1 [running]:\n")
    assert out_of_memory(1, "Traceback (most recent call last):\n  ...\nMemoryError\n")
    # kustomize quoting an object whose text mentions memory: an ordinary failure
    assert not out_of_memory(1, "Error: accumulating resources: map[description:node is out of memory]\n")
    assert not out_of_memory(0, "fatal error: runtime: out of memory\n")


def test_an_interrupt_kills_running_children_at_once(tmp_path):
    runs = []
    worker = threading.Thread(target=lambda: runs.append(run_bounded(["sleep", "1000"], tmp_path, 600, 100)))
    worker.start()
    deadline = time.monotonic() + 10
    while kill_running_children() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.join(10)
    assert not worker.is_alive() and runs[0].interrupted and runs[0].limit_hit is None
    assert os.name == "posix" and runs[0].returncode < 0


def test_ctrl_c_stops_a_load_at_once_and_its_children_with_it(tmp_path):
    # children lead their own process groups, so the terminal's SIGINT reaches only kg
    pids = tmp_path / "pids"
    hang = executable(tmp_path / "kustomize-hangs", f'#!/bin/sh\nsleep 1000 &\necho "$$ $!" >> {pids}\nwait\n')
    script = f"from pathlib import Path\nfrom kg.loaders import load_repo\nload_repo(Path({str(EXAMPLE)!r}))\n"
    load = subprocess.Popen(
        [sys.executable, "-c", script],
        env=dict(os.environ, KG_KUSTOMIZE=hang),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (pids.exists() and pids.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        load.send_signal(signal.SIGINT)
        interrupted = time.perf_counter()
        _, stderr = load.communicate(timeout=20)
        assert time.perf_counter() - interrupted < 5
    finally:
        load.kill()
    assert "KeyboardInterrupt" in stderr
    started = [int(pid) for pid in pids.read_text().split()]
    assert started and all(process_gone(pid) for pid in started)
    assert all(group_gone(leader) for leader in started[::2])
