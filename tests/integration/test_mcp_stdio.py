"""`kg mcp` as an MCP client meets it: a real `kg mcp` subprocess, the SDK's own client
over stdio, on both engines (an embedded file loaded from examples/platform; the test
Neo4j). Tools, rows equal to `kg ask --format json`, kg_search, kg_cypher reads and
refused writes (nothing written), the skill as resources, the debug-service prompt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "platform"
# what the stdio client passes on besides the env below (HOME, PATH, ...): no NEO4J_*
BASE_ENV = {k: os.environ[k] for k in ("KG_OFFLINE", "KG_CHART_CACHE") if k in os.environ}


def kg(*args: Any, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_ENGINE", "KG_GRAPH"))}
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=300,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


class Served:
    """How to reach one loaded graph: the environment `kg` needs, and the repository."""

    def __init__(self, env: dict[str, str], repo: str, skill: Path) -> None:
        self.env, self.repo, self.skill = env, repo, skill

    def server(self, *extra: str):
        from mcp import StdioServerParameters

        return StdioServerParameters(
            command=sys.executable,
            args=["-m", "kg.cli", "mcp", "--skill", str(self.skill), *extra],
            env={**BASE_ENV, **self.env},
            cwd=str(ROOT),
        )


def _load_and_export(env: dict[str, str], repo: str, out: Path) -> Served:
    ok(kg("load", EXAMPLE, "--repo-name", repo, env=env))
    ok(kg("export", "--out", out, "--repo", repo, env=env))
    return Served(env, repo, out)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Served:
    folder = tmp_path_factory.mktemp("mcp-embedded")
    return _load_and_export({"KG_ENGINE": "embedded", "KG_GRAPH": str(folder / "graph")}, "platform", folder / "skill")


@pytest.fixture(scope="module")
def on_neo4j(neo4j_settings, tmp_path_factory):
    from kg.store import Neo4jStore

    env = {
        "KG_ENGINE": "neo4j",
        "NEO4J_URI": neo4j_settings.uri,
        "NEO4J_USER": neo4j_settings.user,
        "NEO4J_PASSWORD": neo4j_settings.password,
    }
    repo = f"kgtest-mcp-{uuid.uuid4().hex[:8]}"
    served = _load_and_export(env, repo, tmp_path_factory.mktemp("mcp-neo4j") / "skill")
    yield served
    with Neo4jStore(neo4j_settings) as store:
        store.delete_repo(repo)


@pytest.fixture(params=["embedded", "neo4j"])
def served(request) -> Served:
    return request.getfixturevalue("embedded" if request.param == "embedded" else "on_neo4j")


def payload(result: Any) -> dict[str, Any]:
    """A tool result's JSON: the text the assistant reads, which is the structured content."""
    text = json.loads(result.content[0].text)
    assert text == result.structured_content
    return text


def run(scenario) -> None:
    anyio.run(scenario)


@pytest.mark.integration
def test_a_client_lists_asks_searches_reads_and_cannot_write(served):
    from mcp import Client

    from kg.questions import catalogue

    expected_rows = json.loads(
        ok(kg("ask", "blast-radius", "vault", "--repo", served.repo, "--format", "json", env=served.env))
    )
    questions = catalogue()

    async def scenario() -> None:
        async with Client(served.server()) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            # every catalogue question is a tool, with the parameters of its header
            for name, question in questions.items():
                properties = tools[name].input_schema["properties"]
                assert set(question.params) | {"limit", "repo"} <= set(properties), name
                assert tools[name].annotations.read_only_hint
            assert {"kg_overview", "kg_search", "kg_cypher"} <= set(tools)

            # the same rows as `kg ask blast-radius vault --format json`
            answer = payload(
                await client.call_tool("blast-radius", {"name": "vault", "repo": served.repo, "limit": 1000})
            )
            assert answer["rows"] == expected_rows and len(expected_rows) > 10
            capped = payload(await client.call_tool("blast-radius", {"name": "vault", "repo": served.repo, "limit": 3}))
            assert capped["rows"] == expected_rows[:3] and "rows left out" in capped["note"]

            found = payload(
                await client.call_tool("kg_search", {"fragment": "pap", "repo": served.repo, "kind": "Deployment"})
            )
            assert [(m["kind"], m["name"], m["namespace"]) for m in found["matches"]] == [
                ("Deployment", "papi", "backend-services")
            ]

            overview = payload(await client.call_tool("kg_overview", {}))
            mine = [r for r in overview["repos"] if r["repo"] == served.repo]
            assert mine and mine[0]["clusters"] == ["platform-cluster"] and mine[0]["git_revision"]

            count = {
                "query": "MATCH (n) WHERE n.repo = $repo RETURN count(n) AS nodes",
                "params": {"repo": served.repo},
            }
            before = payload(await client.call_tool("kg_cypher", count))["rows"]
            assert before[0]["nodes"] > 100
            read = payload(
                await client.call_tool(
                    "kg_cypher",
                    {
                        "query": "MATCH (k:Kustomization) WHERE k.repo = $repo RETURN k.name AS name ORDER BY name",
                        "params": {"repo": served.repo},
                    },
                )
            )
            assert {"name": "vault"} in read["rows"]
            refused = await client.call_tool(
                "kg_cypher", {"query": f"CREATE (n:Namespace {{id: 'x', name: 'x', repo: '{served.repo}'}}) RETURN n"}
            )
            assert refused.is_error and "CREATE is refused" in payload(refused)["error"]
            assert payload(await client.call_tool("kg_cypher", count))["rows"] == before

            unknown = await client.call_tool("where", {"name": "papj", "repo": served.repo})
            assert unknown.is_error and payload(unknown)["did_you_mean"] == ["papi"]

            resources = {str(r.uri) for r in (await client.list_resources()).resources}
            assert {
                "kg://schema",
                "kg://skill/flux-infra-guide/SKILL.md",
                "kg://skill/flux-infra-guide/data/services.json",
            } <= resources
            skill = await client.read_resource("kg://skill/flux-infra-guide/SKILL.md")
            assert skill.contents[0].text == (served.skill / "flux-infra-guide" / "SKILL.md").read_text()

            prompt = await client.get_prompt("debug-service", {"name": "papi", "repo": served.repo})
            text = prompt.messages[0].content.text
            assert "flux get kustomization runwhen-backend-services -n flux-system" in text

    run(scenario)
    # and the database refuses what slips past the guard: nothing written by any of it
    if served.env["KG_ENGINE"] == "neo4j":
        from kg.config import Neo4jSettings
        from kg.errors import DatabaseReadOnly
        from kg.store import Neo4jStore

        with Neo4jStore(
            Neo4jSettings.resolve(served.env["NEO4J_URI"], served.env["NEO4J_USER"], served.env["NEO4J_PASSWORD"])
        ) as store:
            with pytest.raises(DatabaseReadOnly):
                store.query_limited("CREATE (n:Namespace {id: 'x'})", max_rows=1, timeout=5)
            assert not store.query("MATCH (n:Namespace {id: 'x'}) RETURN n")
    else:
        from kg.config import EmbeddedSettings
        from kg.errors import DatabaseError
        from kg.store import EmbeddedStore

        with EmbeddedStore(EmbeddedSettings(Path(served.env["KG_GRAPH"]))) as store:
            with pytest.raises(DatabaseError, match="read-only"):
                store.query_limited("CREATE (n:Namespace {id: 'x'})", max_rows=1, timeout=5)


@pytest.mark.integration
def test_nothing_loaded_is_a_tool_result_naming_the_command(tmp_path):
    from mcp import Client, StdioServerParameters

    graph = tmp_path / "empty" / "graph"
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "kg.cli", "mcp", "--engine", "embedded", "--graph", str(graph)],
        env=BASE_ENV,
    )

    async def scenario() -> None:
        async with Client(server) as client:
            result = await client.call_tool("where", {"name": "papi"})
            assert result.is_error
            assert payload(result)["error"].endswith(f"run `kg load REPO --engine embedded --graph {graph}`")
            assert "Traceback" not in result.content[0].text

    run(scenario)
