"""The embedded engine as a user meets it: `kg` with nothing but `pip install`, no
server. Real `kg` processes on real files: the main job, atomic swaps under kill -9,
loads that wait for each other, scoped reloads and the errors a user can act on."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability_helpers import KgProcess  # noqa: E402
from reliability_helpers import two_versions as make_two_versions

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "platform"
# the environment a fresh machine has: no Neo4j configured, no engine chosen
SERVERLESS = {k: v for k, v in os.environ.items() if k not in ("NEO4J_URI", "KG_ENGINE", "KG_GRAPH")}


def kg(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**SERVERLESS, **(env or {})},
        timeout=300,
    )


def embedded(graph: Path, *args):
    return kg(*args, "--engine", "embedded", "--graph", graph)


@pytest.fixture
def two_versions(tmp_path):
    return make_two_versions(tmp_path)


def names_in(graph: Path, cluster: str) -> set[str]:
    from kg.config import EmbeddedSettings
    from kg.store import EmbeddedStore

    with EmbeddedStore(EmbeddedSettings(graph)) as store:
        rows = store.query("MATCH (w:Workload) WHERE w.cluster = $cluster RETURN w.name AS name", {"cluster": cluster})
    return {r["name"] for r in rows}


def test_the_main_job_runs_with_no_server(tmp_path):
    """README's first command: load the example, ask, export; the graph lands in ./.kg/graph."""
    load = kg("load", EXAMPLE, cwd=tmp_path)
    assert load.returncode == 0, load.stderr
    assert "into the embedded graph .kg/graph" in load.stdout
    assert (tmp_path / ".kg" / "graph").is_file()

    answer = kg("ask", "blast-radius", "vault", "--format", "json", cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    rows = json.loads(answer.stdout)
    assert any(r["name"] == "papi" and r["impact"] == "runtime" for r in rows)
    assert all(r["evidence"] for r in rows)

    export = kg("export", "--out", "out", cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    assert json.loads((tmp_path / "out/flux-infra-guide/data/services.json").read_text())["services"]

    status = kg("db", "status", cwd=tmp_path)
    assert status.returncode == 0 and "engine embedded" in status.stdout and "graph file .kg/graph" in status.stdout


def test_kill_9_before_the_swap_leaves_the_previous_graph(tmp_path, two_versions):
    v1, v2 = two_versions
    graph = tmp_path / "kg" / "graph"
    assert embedded(graph, "load", v1, "--repo-name", "r").returncode == 0
    before = (names_in(graph, "cluster-0"), names_in(graph, "cluster-1"))
    assert "app-1-wl-0" in before[0]

    proc = KgProcess(
        "load",
        v2,
        "--repo-name",
        "r",
        "--engine",
        "embedded",
        "--graph",
        graph,
        env={"KG_TEST_PAUSE_AT": "swap", **_no_server()},
    )
    proc.wait_for("kg-test: paused at swap")
    # the new file is built beside the old one; the old graph still answers
    assert list(graph.parent.glob("graph.new-*"))
    asked = embedded(graph, "ask", "where", "app-1-wl-0", "--format", "json")
    assert asked.returncode == 0 and json.loads(asked.stdout), asked.stderr
    proc.kill9()
    assert (names_in(graph, "cluster-0"), names_in(graph, "cluster-1")) == before

    # the next load succeeds, is the second version, and removes the dead build's file
    assert embedded(graph, "load", v2, "--repo-name", "r").returncode == 0
    assert "app-1-wl-0" not in names_in(graph, "cluster-0")
    assert not list(graph.parent.glob("graph.new-*"))


def _no_server() -> dict[str, str]:
    # KgProcess adds its env to os.environ: blank out a Neo4j the test run may configure
    return {"NEO4J_URI": "", "KG_ENGINE": "embedded"}


def test_concurrent_loads_wait_and_keep_each_others_repositories(tmp_path, two_versions):
    v1, v2 = two_versions
    graph = tmp_path / "kg" / "graph"
    first = KgProcess(
        "load", v1, "--repo-name", "first", "--graph", graph, env={"KG_TEST_PAUSE_AT": "swap", **_no_server()}
    )
    first.wait_for("kg-test: paused at swap")
    second = KgProcess("load", v2, "--repo-name", "second", "--graph", graph, env=_no_server())
    second.wait_for("waiting for another load into", timeout=90)
    assert second.proc.poll() is None
    first.resume()
    assert first.finish()[0] == 0, first.stderr
    assert second.finish()[0] == 0, second.stderr
    status = json.loads(embedded(graph, "db", "status", "--format", "json").stdout)
    assert sorted(r["repo"] for r in status["repos"]) == ["first", "second"]


def test_a_cluster_reload_leaves_the_other_clusters_alone(tmp_path, two_versions):
    v1, v2 = two_versions
    graph = tmp_path / "graph"
    assert embedded(graph, "load", v1, "--repo-name", "r").returncode == 0
    other_before = names_in(graph, "cluster-1")
    reload = embedded(graph, "load", v2, "--repo-name", "r", "--cluster", "cluster-0", "--format", "json")
    assert reload.returncode == 0, reload.stderr
    assert json.loads(reload.stdout)["swept"]["nodes"] > 0
    assert "app-1-wl-0" not in names_in(graph, "cluster-0")
    assert names_in(graph, "cluster-1") == other_before


def test_asking_before_any_load_says_what_to_do(tmp_path):
    result = embedded(tmp_path / "nothing" / "graph", "ask", "where", "papi")
    assert result.returncode == 1
    assert "nothing loaded into the embedded graph" in result.stderr and "kg load" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unwritable_graph_location_fails_before_rendering(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    started = time.perf_counter()
    result = embedded(blocker / "graph", "load", EXAMPLE)
    assert result.returncode == 7, result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert time.perf_counter() - started < 30


def test_an_unknown_engine_is_a_usage_error(tmp_path):
    result = kg("ask", "where", "papi", "--engine", "mysql", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown engine 'mysql'" in result.stderr


def _graph_of(store, repo: str) -> tuple[dict, set]:
    """Every node of a repository with its properties (load tags aside), and every
    relationship leaving one of them with its properties. reliability_helpers.snapshot
    does this for Neo4j with labels(), type() and properties(), which Ladybug lacks."""
    nodes = {
        r["n"]["id"]: {k: v for k, v in r["n"].items() if k not in ("load_tag", "loaded_at")}
        for r in store.query("MATCH (n) WHERE n.repo = $repo RETURN n", {"repo": repo})
    }
    rels = store.query("MATCH (a)-[r]->(b) WHERE a.repo = $repo RETURN a.id AS a, b.id AS b, r", {"repo": repo})
    return nodes, {
        (r["a"], r["b"], json.dumps({k: v for k, v in r["r"].items() if k != "load_tag"}, sort_keys=True)) for r in rels
    }


def test_a_reload_keeps_the_other_repository_whole_and_sweeps_only_its_own(tmp_path, two_versions):
    """A load reads back only what it keeps: the other repository's nodes and
    relationships come through unchanged, its own stale objects are swept and counted."""
    from kg.config import EmbeddedSettings
    from kg.loaders import load_repo
    from kg.store import EmbeddedStore

    v1, v2 = two_versions
    first, second = load_repo(v1, repo_name="a"), load_repo(v2, repo_name="a")
    with EmbeddedStore(EmbeddedSettings(tmp_path / "graph")) as store:
        store.write(first.graph, "a", None)
        store.write(load_repo(v1, repo_name="b").graph, "b", None)
        other = _graph_of(store, "b")
        assert other[0] and other[1]
        result = store.write(second.graph, "a", None)
        assert _graph_of(store, "b") == other
        mine, _ = _graph_of(store, "a")
        assert set(mine) == {n.id for n in second.graph.nodes.values() if n.props.get("repo") == "a"}
        stale = {n.id for n in first.graph.nodes.values()} - {n.id for n in second.graph.nodes.values()}
        assert stale and result["swept"]["nodes"] == len(stale)
        # reloading the same version again sweeps nothing
        assert store.write(second.graph, "a", None)["swept"] == {"nodes": 0, "relationships": 0}


def test_a_question_that_fills_the_sized_buffer_pool_runs_again_with_the_default(tmp_path, monkeypatch):
    """Questions open the file with a buffer pool sized to it (cheaper to open than
    Ladybug's default, 80% of RAM); an answer that needs more is asked again with the
    default, not refused."""
    from kg.config import EmbeddedSettings
    from kg.store import EmbeddedStore, embedded_store

    graph = tmp_path / "graph"
    assert embedded(graph, "load", EXAMPLE).returncode == 0
    assert embedded_store.question_pool_bytes(graph) >= 1024 * 2**20
    monkeypatch.setattr(embedded_store, "question_pool_bytes", lambda path: 16 * 2**20)  # opens, then fills
    wide = "MATCH (a), (b), (c:Cluster) RETURN size(collect(a.id + b.id + c.id)) AS n"
    with EmbeddedStore(EmbeddedSettings(graph)) as store:
        nodes = store.query("MATCH (a) RETURN count(*) AS n")[0]["n"]
        assert store.query(wide) == [{"n": nodes * nodes}]
        assert store._default_pool  # it did fill the sized pool
    with EmbeddedStore(EmbeddedSettings(graph)) as store:  # kg mcp's kg_cypher: the same
        assert store.query_limited(wide, max_rows=10, timeout=60) == ([{"n": nodes * nodes}], False)
        assert store._default_pool
