"""`kg mcp --http`: the streamable HTTP transport on a loopback port the server picks
(port 0), driven by the SDK's own client; the embedded graph of examples/platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "platform"


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mcp-http") / "graph"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    loaded = subprocess.run(
        [sys.executable, "-m", "kg.cli", "load", str(EXAMPLE), "--engine", "embedded", "--graph", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    return path


@pytest.mark.integration
def test_streamable_http_on_a_loopback_port(graph):
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "mcp", "--http", "127.0.0.1:0", "--engine", "embedded", "--graph", str(graph)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "serving streamable HTTP on" not in line:
            assert time.monotonic() < deadline and server.poll() is None, f"kg mcp did not start: {line}"
            line = server.stderr.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")

        async def scenario() -> None:
            from mcp import Client

            async with Client(url) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                assert {"where", "blast-radius", "kg_search", "kg_cypher", "kg_overview"} <= names
                where = await client.call_tool("where", {"name": "papi"})
                rows = json.loads(where.content[0].text)["rows"]
                assert rows[0]["kustomization"] == "runwhen-backend-services" and not where.is_error
                refused = await client.call_tool("kg_cypher", {"query": "MATCH (n) DETACH DELETE n"})
                assert refused.is_error

        anyio.run(scenario)

        # DNS rebinding: a page on another origin cannot drive the server through a browser
        import httpx2 as httpx  # the HTTP client the MCP SDK brings

        response = httpx.post(
            url, json={}, headers={"Host": "evil.example:80", "Accept": "application/json, text/event-stream"}
        )
        assert response.status_code in (400, 403, 421)
    finally:
        server.terminate()
        server.wait(timeout=20)
