"""`kg mcp`'s tools without a transport: the read-only guard, the schemas generated from
the question headers, and the toolbox on a real embedded graph of examples/platform
(errors an assistant can act on, row caps, the timeout)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cypher_guard import RefusedQuery, check_read_only
from kg.mcp_tools import (
    CYPHER,
    DEFAULT_LIMIT,
    OVERVIEW,
    SEARCH,
    Toolbox,
    ToolFailure,
    jsonable,
    kinds_of,
    load_command,
    resources,
    target_text,
)
from kg.questions import catalogue


# -- the guard ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "MATCH (n) RETURN n LIMIT 3",
        "MATCH (n) WHERE n.name = 'CREATE (x)' RETURN n.set AS s, $delete AS d",
        "MATCH (n:Workload) // DELETE n\nRETURN {merge: 1, remove: n.name} AS m",
        "MATCH (n) /* SET n.x = 1 */ RETURN count(n);",
        "CALL db.labels()",
        "CALL show_tables() RETURN *",
        "MATCH (n) CALL { WITH n RETURN n.name AS x } RETURN x",
        "MATCH (a)-[:`DELETE`]->(b) RETURN a",
        'RETURN "it\'s \\"set\\"" AS text',
    ],
)
def test_read_queries_pass_the_guard(query):
    check_read_only(query)


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("CREATE (n:Namespace {id: 'x'})", "CREATE"),
        ("match (n) detach delete n", "DETACH"),
        ("MATCH (n) SET n.name = 'x'", "SET"),
        ("MATCH (n) REMOVE n.name", "REMOVE"),
        ("MERGE (n:Repo {id: 'x'})", "MERGE"),
        ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD"),
        ("LOAD FROM '/etc/passwd' RETURN *", "LOAD"),
        ("COPY Workload FROM 'x.csv'", "COPY"),
        ("CALL apoc.create.node(['X'], {})", "apoc.create.node"),
        ("CALL recursive_pattern_semantic='WALK'", "recursive_pattern_semantic"),
        ("DROP INDEX x", "DROP"),
        ("MATCH (n) RETURN n; MATCH (m) DELETE m", "one statement"),
        ("MATCH (n) CALL { WITH n RETURN n } IN TRANSACTIONS RETURN n", "IN TRANSACTIONS"),
        ("MATCH (n) FOREACH (x IN [1] | SET n.y = x)", "FOREACH"),
        ("   ", "empty"),
        ("MATCH (n) /* unterminated RETURN n", "unterminated"),
    ],
)
def test_writes_and_escapes_are_refused_with_the_reason(query, word):
    with pytest.raises(RefusedQuery, match=word):
        check_read_only(query)


# -- schemas and arguments ------------------------------------------------------------------
def test_every_question_is_a_tool_with_its_header_parameters():
    toolbox = Toolbox(lambda: pytest.fail("no store needed"))
    questions = catalogue()
    assert {OVERVIEW, SEARCH, CYPHER} | set(questions) == set(toolbox.specs)
    for name, question in questions.items():
        schema = toolbox.specs[name].input_schema
        assert set(question.params) <= set(schema["properties"])  # name, cluster from the header
        assert schema["properties"]["limit"]["default"] == DEFAULT_LIMIT
        assert schema["required"] == (["name"] if question.takes_target else [])
        if question.takes_target:
            assert {"namespace", "kind", "repo"} <= set(schema["properties"])
            assert schema["properties"]["name"]["description"] == question.params["name"]
        assert question.summary in toolbox.specs[name].description


def test_a_target_is_composed_the_way_kg_ask_reads_it():
    assert target_text("papi", None, None) == "papi"
    assert target_text("papi", "Deployment", None) == "Deployment/papi"
    assert target_text("papi", None, "backend-services") == "backend-services/papi"
    assert target_text("papi", "Workload", "backend-services") == "Workload/backend-services/papi"
    with pytest.raises(ToolFailure, match="unknown kind 'Pod'"):
        target_text("papi", "Pod", None)
    assert kinds_of("Workload") == ["cronjob", "daemonset", "deployment", "job", "statefulset", "workload"]
    assert kinds_of("deployment") == ["deployment"]


def test_values_become_json():
    from kg.evidence import PathTokens

    path = PathTokens(("Deployment/papi -[MOUNTS]->", "SecretProviderClass/vault-papi"))
    assert jsonable(path) == "Deployment/papi -[MOUNTS]-> SecretProviderClass/vault-papi"
    assert jsonable({"n": {"names": ["a"], "when": object}})["n"]["names"] == ["a"]
    json.dumps(jsonable([path, {"x": 1}, None]))


def test_the_sdk_is_not_imported_by_kg_ask():
    """`kg ask` start-up does not pay for the MCP SDK: only `kg mcp` imports it."""
    code = (
        "import sys, kg.cli; from kg import mcp_tools; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'uvicorn', 'starlette')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_http_addresses():
    from kg.mcp_server import parse_http

    assert parse_http("8765") == ("127.0.0.1", 8765)
    assert parse_http(":0") == ("127.0.0.1", 0)
    assert parse_http("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_http("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError):
        parse_http("localhost:http")


# -- the toolbox on a real embedded graph ---------------------------------------------------------
@pytest.fixture(scope="module")
def example_graph(tmp_path_factory, example_load, example_repo):
    """examples/platform written twice into one embedded file (repos `platform` and
    `copy`): every name exists twice, as in a graph shared by several repositories."""
    from kg.config import EmbeddedSettings
    from kg.loaders import load_repo
    from kg.store import EmbeddedStore

    path = tmp_path_factory.mktemp("mcp") / "graph"
    with EmbeddedStore(EmbeddedSettings(path)) as store:
        store.write(example_load.graph, "platform", None)
        store.write(load_repo(example_repo, repo_name="copy").graph, "copy", None)
    return path


@pytest.fixture
def toolbox(example_graph):
    from kg.config import EmbeddedSettings
    from kg.store import EmbeddedStore

    box = Toolbox(lambda: EmbeddedStore(EmbeddedSettings(example_graph)), row_cap=200, cypher_timeout=0.3)
    yield box
    box.close()


def test_a_question_answers_with_kg_asks_rows_capped_with_a_note(toolbox, example_graph):
    from kg.config import EmbeddedSettings
    from kg.questions import ask
    from kg.store import EmbeddedStore

    with EmbeddedStore(EmbeddedSettings(example_graph)) as store:
        expected = ask(store, "blast-radius", "vault", repo="platform").rows
    full = toolbox.call("blast-radius", {"name": "vault", "repo": "platform", "limit": 200})
    assert not full.is_error and full.payload["rows"] == json.loads(json.dumps(expected))
    capped = toolbox.call("blast-radius", {"name": "vault", "repo": "platform", "limit": 5})
    assert capped.payload["rows"] == full.payload["rows"][:5]
    assert capped.payload["row_count"] == len(expected)
    assert f"{len(expected) - 5} of {len(expected)} rows left out" in capped.payload["note"]


def test_unknown_and_ambiguous_targets_say_what_to_do(toolbox):
    unknown = toolbox.call("where", {"name": "papj"})
    assert unknown.is_error and unknown.payload["did_you_mean"] == ["papi"]
    assert "kg_search" in unknown.payload["hint"]

    ambiguous = toolbox.call("debug", {"name": "papi"})  # one in each repository
    assert ambiguous.is_error and "ambiguous" in ambiguous.payload["error"]
    assert "pass cluster or repo" in ambiguous.payload["error"] and "--cluster" not in ambiguous.payload["error"]
    assert {(c["repo"], c["cluster"]) for c in ambiguous.payload["candidates"]} == {
        ("copy", "platform-cluster"),
        ("platform", "platform-cluster"),
    }
    narrowed = toolbox.call("debug", {"name": "papi", "repo": "copy"})
    assert not narrowed.is_error and narrowed.payload["rows"]

    wrong_kind = toolbox.call("secrets", {"name": "vault", "kind": "Kustomization"})
    assert wrong_kind.is_error and "Kustomization" in wrong_kind.payload["error"]


def test_nothing_loaded_names_the_command_that_fills_this_graph(tmp_path):
    from kg.config import EmbeddedSettings
    from kg.store import EmbeddedStore

    box = Toolbox(lambda: EmbeddedStore(EmbeddedSettings(tmp_path / "none" / "graph")))
    for name, arguments in (
        ("where", {"name": "papi"}),
        (OVERVIEW, {}),
        (SEARCH, {"fragment": "pa"}),
        (CYPHER, {"query": "RETURN 1"}),
    ):
        result = box.call(name, arguments)
        assert result.is_error
        assert f"kg load REPO --engine embedded --graph {tmp_path / 'none' / 'graph'}" in result.payload["error"]
    assert load_command(EmbeddedStore(EmbeddedSettings(tmp_path / "g"))).endswith(str(tmp_path / "g"))


def test_search_finds_names_by_fragment_and_kind(toolbox):
    found = toolbox.call(SEARCH, {"fragment": "VAUL", "kind": "Kustomization", "repo": "platform"})
    assert found.payload["matches"] == [
        {
            "kind": "Kustomization",
            "name": "vault",
            "namespace": "flux-system",
            "cluster": "platform-cluster",
            "repo": "platform",
        }
    ]
    workloads = toolbox.call(SEARCH, {"fragment": "pap", "kind": "Workload"}).payload["matches"]
    assert {(m["kind"], m["name"]) for m in workloads} == {("Deployment", "papi")}
    capped = toolbox.call(SEARCH, {"fragment": "a", "limit": 3}).payload
    assert len(capped["matches"]) == 3 and "more than 3" in capped["note"]


def test_cypher_reads_refuses_writes_and_stops_at_the_timeout(toolbox):
    read = toolbox.call(
        CYPHER,
        {"query": "MATCH (k:Kustomization) WHERE k.repo = $repo RETURN k.name AS name", "params": {"repo": "platform"}},
    )
    assert not read.is_error and {"name": "vault"} in read.payload["rows"]
    capped = toolbox.call(CYPHER, {"query": "MATCH (n) RETURN n.id AS id", "limit": 4})
    assert len(capped.payload["rows"]) == 4 and "more than 4 rows" in capped.payload["note"]
    refused = toolbox.call(CYPHER, {"query": "MATCH (n) DETACH DELETE n"})
    assert refused.is_error and refused.payload["error"].startswith("refused, nothing ran")
    # a filter on every combination: no shortcut an engine can take for count(*)
    slow = toolbox.call(
        CYPHER, {"query": "MATCH (a), (b), (c), (d) WHERE a.name + b.name < c.name + d.name RETURN count(*) AS c"}
    )
    assert slow.is_error and "longer than 0.3 s" in slow.payload["error"]
    # the connection is kg's again, without the limit
    assert not toolbox.call("blast-radius", {"name": "vault"}).is_error


def test_bad_arguments_and_bugs_are_one_line_results(toolbox, monkeypatch):
    bad = toolbox.call("where", {"name": "papi", "depth": 3})
    assert bad.is_error and "depth" in bad.payload["error"]
    monkeypatch.setattr(Toolbox, "overview", lambda self: 1 / 0)
    bug = toolbox.call(OVERVIEW, {})
    assert bug.is_error and bug.payload == {
        "error": "internal error in kg (ZeroDivisionError); the server log has the details"
    }


def test_the_prompt_walks_the_check_order(toolbox):
    description, text = toolbox.debug_prompt("papi", None)
    assert "ambiguous" in text and "kg_search" in text  # papi is in two repositories
    description, text = toolbox.debug_prompt("papi", None, "copy")
    steps = text.index("flux get sources git flux-system"), text.index("kubectl get pods -n backend-services")
    assert steps[0] < steps[1]  # Flux first
    assert "kg_search" in toolbox.debug_prompt("nginx-nothing")[1]


def test_resources_are_the_schema_and_the_exported_files(tmp_path):
    assert [r.uri for r in resources(None)] == ["kg://schema"]
    assert resources(None)[0].read().startswith("# Graph schema")
    (tmp_path / "flux-infra-guide" / "data").mkdir(parents=True)
    (tmp_path / "flux-infra-guide" / "SKILL.md").write_text("guide")
    (tmp_path / "flux-infra-guide" / "data" / "services.json").write_text("{}")
    found = {r.uri: r for r in resources(tmp_path)}
    assert set(found) == {
        "kg://schema",
        "kg://skill/flux-infra-guide/SKILL.md",
        "kg://skill/flux-infra-guide/data/services.json",
    }
    assert found["kg://skill/flux-infra-guide/SKILL.md"].read() == "guide"
    assert {r.uri for r in resources(tmp_path / "flux-infra-guide")} == set(found)


def test_overview_shows_each_status_snapshot_and_its_age(tmp_path, example_load):
    from kg import status
    from kg.config import EmbeddedSettings
    from kg.store import EmbeddedStore

    graph = EmbeddedSettings(tmp_path / "graph")
    snapshot = Path(__file__).resolve().parents[1] / "fixtures" / "status" / "platform-helm-upgrade-failed.json"
    with EmbeddedStore(graph) as store:
        store.write(example_load.graph, "platform", None)
        box = Toolbox(lambda: EmbeddedStore(graph), row_cap=200, cypher_timeout=5)
        assert "status_snapshots" not in box.overview()  # no snapshot: nothing claimed
        box.close()
        status.load(store, "platform-cluster", status.read_files([snapshot]), "2026-01-02T03:04:05+00:00", "test")
    box = Toolbox(lambda: EmbeddedStore(graph), row_cap=200, cypher_timeout=5)
    try:
        (snap,) = box.overview()["status_snapshots"]
    finally:
        box.close()
    assert (snap["cluster"], snap["repo"], snap["snapshot_at"]) == (
        "platform-cluster",
        "platform",
        "2026-01-02T03:04:05+00:00",
    )
    assert snap["failing"] >= 1 and snap["age"].endswith(" ago")
