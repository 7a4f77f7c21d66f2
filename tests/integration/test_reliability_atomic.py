"""Atomic loads (issue 7, point 1) against the real Neo4j: a `kg load` killed with
SIGKILL while rendering, in the middle of the write, or between write and sweep
leaves the previous graph of its scope complete (and queryable meanwhile); the next
load succeeds. Two loads of one repository never interleave: the second waits for
the first. A cluster's load never touches another cluster; repositories share one
database; reloading unchanged input changes nothing but the load tag."""

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability_helpers import KgProcess, load_tags, snapshot  # noqa: E402
from reliability_helpers import two_versions as make_two_versions

pytestmark = pytest.mark.integration


def kg_load(path, repo_name, *extra, env=None):
    code, out, err = KgProcess("load", path, "--repo-name", repo_name, "--format", "json", *extra, env=env).finish()
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def two_versions(tmp_path):
    return make_two_versions(tmp_path)


def test_kill_9_at_any_point_leaves_the_previous_graph(cli_env, store, repo_name, two_versions, tmp_path):
    v1, v2 = two_versions
    first = kg_load(v1, repo_name)
    before = snapshot(store, repo_name)
    assert len(before[0]) == first["nodes"]

    # during rendering: a kustomize that never finishes
    marker = tmp_path / "kustomize-started"
    slow = tmp_path / "slow-kustomize"
    slow.write_text(f"#!/bin/sh\ntouch {marker}\nexec sleep 600\n")
    slow.chmod(0o755)
    proc = KgProcess("load", v2, "--repo-name", repo_name, env={"KG_KUSTOMIZE": str(slow)})
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline and proc.proc.poll() is None, proc.stderr
        time.sleep(0.05)
    proc.kill9()
    assert snapshot(store, repo_name) == before

    # inside the write transaction: nodes merged / everything merged, nothing swept
    for point in ("write", "sweep"):
        proc = KgProcess("load", v2, "--repo-name", repo_name, env={"KG_TEST_PAUSE_AT": point})
        proc.wait_for(f"kg-test: paused at {point}")
        # the previous graph stays complete and answers questions while the load is open
        assert snapshot(store, repo_name) == before
        code, out, err = KgProcess("ask", "where", "app-0-wl-0", "--repo", repo_name, "--format", "json").finish()
        assert code == 0 and {r["cluster"] for r in json.loads(out)} == {"cluster-0", "cluster-1"}, err
        proc.kill9()
        assert snapshot(store, repo_name) == before, point

    # the next load succeeds and is the second version, swept clean
    second = kg_load(v2, repo_name)
    assert load_tags(store, repo_name) == {second["load_tag"]}
    assert second["swept"]["nodes"] > 0
    names = {n[2]["name"] for n in snapshot(store, repo_name, "cluster-0")[0]}
    assert "app-1-wl-0" not in names and "app-0-wl-0" in names


def test_concurrent_loads_of_one_repository_wait_and_never_interleave(cli_env, store, repo_name, two_versions):
    v1, v2 = two_versions
    kg_load(v2, repo_name)
    expected_v2 = snapshot(store, repo_name, with_tags=False)
    first = KgProcess("load", v1, "--repo-name", repo_name, "--format", "json", env={"KG_TEST_PAUSE_AT": "sweep"})
    first.wait_for("kg-test: paused at sweep")
    second = KgProcess("load", v2, "--repo-name", repo_name, "--format", "json")
    second.wait_for("waiting for another load of repository", timeout=90)
    assert second.proc.poll() is None  # still waiting, nothing written by it
    # another repository is not held up meanwhile
    other = repo_name + "-other"
    try:
        kg_load(v2, other)
    finally:
        store.delete_repo(other)
    first.resume()
    code, out, err = first.finish()
    assert code == 0, err
    code, out, err = second.finish()
    assert code == 0, err
    # the second load ran after the first, entirely: its graph, its tag on everything
    assert snapshot(store, repo_name, with_tags=False) == expected_v2
    assert load_tags(store, repo_name) == {json.loads(out)["load_tag"]}


def test_a_cluster_load_never_touches_another_cluster(cli_env, store, repo_name, two_versions):
    v1, v2 = two_versions
    kg_load(v1, repo_name)
    other_before = snapshot(store, repo_name, "cluster-1")
    mine_before = snapshot(store, repo_name, "cluster-0")
    loaded = kg_load(v2, repo_name, "--cluster", "cluster-0")
    assert [c["name"] for c in loaded["clusters"]] == ["cluster-0"]
    assert snapshot(store, repo_name, "cluster-1") == other_before  # load tags included
    assert snapshot(store, repo_name, "cluster-0") != mine_before
    # the Repo node still links both clusters
    rows = store.query(
        "MATCH (:Repo {id: $repo})-[:HAS_CLUSTER]->(c:Cluster) RETURN c.name AS name ORDER BY name", {"repo": repo_name}
    )
    assert [r["name"] for r in rows] == ["cluster-0", "cluster-1"]


def test_two_repositories_share_one_database_and_reloads_change_nothing(cli_env, store, repo_name, two_versions):
    v1, _ = two_versions
    other = repo_name + "-twin"
    try:
        first = kg_load(v1, repo_name)
        twin = kg_load(v1, other)
        assert (first["nodes"], first["relationships"]) == (twin["nodes"], twin["relationships"])
        mine, theirs = snapshot(store, repo_name, with_tags=False), snapshot(store, other)
        assert not {n[0] for n in mine[0]} & {n[0] for n in theirs[0]}  # ids are scoped by repository
        again = kg_load(v1, repo_name)
        # unchanged input: same ids, counts and properties; only the load tag moved
        assert again["swept"] == {"nodes": 0, "relationships": 0}
        assert snapshot(store, repo_name, with_tags=False) == mine
        assert load_tags(store, repo_name) == {again["load_tag"]}
        assert snapshot(store, other) == theirs  # the twin is untouched, load tags included
        store.delete_repo(repo_name)
        assert snapshot(store, other) == theirs
    finally:
        store.delete_repo(other)
