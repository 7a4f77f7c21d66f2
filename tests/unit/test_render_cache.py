"""The render cache (loaders/render_cache.py): a warm load runs no kustomize build and
gives the same graph; a changed file rebuilds the paths that read it and only those; a
damaged entry is a miss, never a wrong answer; the size cap holds."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from kg.loaders import load_repo


def snapshot(result) -> tuple[dict, dict]:
    graph = result.graph
    return (
        {node_id: node.props for node_id, node in graph.nodes.items() if node.label != "Repo"},
        {key: rel.props for key, rel in graph.rels.items()},
    )


@pytest.fixture(autouse=True)
def own_cache_folder(monkeypatch):
    """Each test names its cache folder (KG_RENDER_CACHE, set for the session, would win)."""
    monkeypatch.delenv("KG_RENDER_CACHE", raising=False)


@pytest.fixture
def repo(tmp_path, example_repo) -> Path:
    copy = tmp_path / "platform"
    shutil.copytree(example_repo, copy)
    return copy


def test_warm_load_builds_nothing_and_answers_the_same(repo, tmp_path):
    cache = tmp_path / "cache"
    cold = load_repo(repo, render_cache=cache)
    assert cold.render_cache["stored"] == cold.render_cache["misses"] > 0
    warm = load_repo(repo, render_cache=cache)
    assert warm.render_cache["hits"] == cold.render_cache["misses"] and warm.render_cache["misses"] == 0
    assert warm.timings["kustomize"] == 0.0
    assert snapshot(warm) == snapshot(cold)
    assert sorted(map(str, warm.warnings)) == sorted(map(str, cold.warnings))


def test_a_changed_file_rebuilds_the_paths_reading_it(repo, tmp_path):
    cache = tmp_path / "cache"
    load_repo(repo, render_cache=cache)
    deployment = repo / "apps/corestate/corestate-deployment.yaml"
    deployment.write_text(deployment.read_text().replace("corestate:1.42.0", "corestate:1.43.0"))
    changed = load_repo(repo, render_cache=cache)
    assert changed.render_cache["misses"] == 1  # apps/corestate only
    (workload,) = changed.graph.find("Workload", "corestate")
    assert workload.props["images"] == ["us-docker.pkg.dev/runwhen-nonprod/images/corestate:1.43.0"]
    # the same as without a cache
    assert snapshot(changed) == snapshot(load_repo(repo, render_cache=None))


def test_a_variable_changed_resubstitutes_cached_builds(repo, tmp_path):
    cache = tmp_path / "cache"
    load_repo(repo, render_cache=cache)
    cluster_vars = repo / "infrastructure/crossplane-clusters/cluster-vars/cluster-vars.yaml"
    cluster_vars.write_text(cluster_vars.read_text().replace("subdomain: nonprod", "subdomain: staging"))
    changed = load_repo(repo, render_cache=cache)
    assert changed.render_cache["misses"] == 1  # the cluster-vars folder; apps are substituted again
    (key,) = [n for n in changed.graph.by_label("ConfigKey") if n.props["name"] == "GIT_SERVICE_URL"]
    assert key.props["value"] == "https://git.staging.runwhen.com"


@pytest.mark.parametrize("damage", ["garbage", "payload", "truncated", "empty"])
def test_a_damaged_entry_is_a_miss(repo, tmp_path, damage):
    cache = tmp_path / "cache"
    cold = load_repo(repo, render_cache=cache)
    entries = sorted(cache.glob("*/*.json.gz"))
    assert entries
    damaged = 0
    for entry in entries:
        raw = entry.read_bytes()
        damaged += 1
        if damage == "garbage":
            entry.write_bytes(b"not gzip at all")
        elif damage == "payload":
            # a valid gzip whose payload no longer matches its digest: a changed image
            text = gzip.decompress(raw)
            if b"1.42.0" not in text:
                damaged -= 1
                continue
            entry.write_bytes(gzip.compress(text.replace(b"1.42.0", b"6.66.6")))
        elif damage == "truncated":
            entry.write_bytes(raw[: len(raw) // 2])
        else:
            entry.write_bytes(b"")
    again = load_repo(repo, render_cache=cache)
    assert damaged and again.render_cache["misses"] == damaged
    assert again.render_cache["hits"] == len(entries) - damaged
    assert snapshot(again) == snapshot(cold)
    # the damaged entries were replaced by good ones
    assert load_repo(repo, render_cache=cache).render_cache["misses"] == 0


def test_size_cap_and_off(repo, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("KG_RENDER_CACHE_MB", "0.01")  # about 10 KiB
    result = load_repo(repo, render_cache=cache)
    assert result.render_cache["pruned"] > 0
    assert sum(p.stat().st_size for p in cache.glob("*/*.json.gz")) <= 0.01 * 1024 * 1024
    monkeypatch.setenv("KG_RENDER_CACHE", "off")
    assert load_repo(repo, render_cache=tmp_path / "other").render_cache == {}
    assert not (tmp_path / "other").exists()


def test_a_generated_kustomization_sees_every_file_below_it(repo, tmp_path):
    """Flux's generator walks the folder: a file deep below it is an input (here one it
    leaves out with a warning), and a cached build's warnings are the build's, not another's."""
    cache = tmp_path / "cache"
    load_repo(repo, render_cache=cache)
    odd = repo / "clusters/platform-cluster/extra/list.yaml"
    odd.parent.mkdir()
    odd.write_text("- just\n- a list\n")
    with_odd = load_repo(repo, render_cache=cache)
    assert with_odd.render_cache["misses"] == 1  # the cluster folder's generated build
    assert any(w.file == "clusters/platform-cluster/extra/list.yaml" for w in with_odd.warnings)
    odd.unlink()
    without = load_repo(repo, render_cache=cache)
    assert without.render_cache["misses"] == 0
    assert not any(w.file == "clusters/platform-cluster/extra/list.yaml" for w in without.warnings)
