"""Tool-call latency of `kg mcp` as an assistant sees it: a real `kg mcp` subprocess,
the MCP SDK's client over stdio, every call timed from request to parsed result.

    python benchmarks/bench_mcp.py                       # the largest corpus, embedded
    python benchmarks/bench_mcp.py --engine neo4j        # NEO4J_URI etc. from the env
    python benchmarks/bench_mcp.py --graph G --no-load   # an embedded graph already loaded

The corpus is loaded first (KG_OFFLINE=1: charts only from the cache) into a temporary
graph file (embedded) or under its own repository name (Neo4j). Targets: for each
question, a few names of its first target label from the graph (kg_cypher finds them).
Prints the median and p90 per tool and the median over every call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
LARGEST = ROOT.parent / "shared" / "corpora" / "joryirving__home-ops"


def _kg(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=env)
    if result.returncode:
        sys.exit(f"kg {' '.join(args)} failed: {result.stderr}")


async def _bench(
    server_args: list[str], env: dict[str, str], repo: str, rounds: int, per_question: int
) -> dict[str, list[float]]:
    from mcp import Client, StdioServerParameters

    from kg.questions import catalogue

    timings: dict[str, list[float]] = {}
    params = StdioServerParameters(command=sys.executable, args=["-m", "kg.cli", "mcp", *server_args], env=env)
    async with Client(params) as client:

        async def timed(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
            started = time.perf_counter()
            result = await client.call_tool(tool, arguments)
            payload = json.loads(result.content[0].text)
            timings.setdefault(tool, []).append((time.perf_counter() - started) * 1000)
            return payload

        await timed("kg_overview", {})  # opens the store: the first call of a session
        timings.clear()
        calls: list[tuple[str, dict[str, Any]]] = [("kg_overview", {}), ("kg_search", {"fragment": "a", "repo": repo})]
        for name, question in catalogue().items():
            if not question.takes_target:
                calls.append((name, {"repo": repo}))
                continue
            rows: list[dict[str, Any]] = []
            for label in question.targets:  # the first labels it takes that the graph has enough of
                found = await client.call_tool(
                    "kg_cypher",
                    {
                        "query": f"MATCH (n:{label}) WHERE n.repo = $repo AND n.missing IS NULL "
                        "RETURN n.name AS name, n.namespace AS namespace, n.cluster AS cluster ORDER BY name",
                        "params": {"repo": repo},
                        "limit": 1000,
                    },
                )
                found_rows = json.loads(found.content[0].text).get("rows", [])
                step = max(1, len(found_rows) // per_question)
                rows += found_rows[::step][: per_question - len(rows)]
                if len(rows) >= per_question:
                    break
            for row in rows:
                arguments = {"name": row["name"], "repo": repo, "cluster": row["cluster"]}
                if row.get("namespace"):
                    arguments["namespace"] = row["namespace"]
                calls.append((name, arguments))
        calls.append(
            (
                "kg_cypher",
                {
                    "query": "MATCH (k:Kustomization) WHERE k.repo = $repo RETURN k.name AS n LIMIT 20",
                    "params": {"repo": repo},
                },
            )
        )
        for _ in range(rounds):
            for tool, arguments in calls:
                await timed(tool, arguments)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=LARGEST)
    parser.add_argument("--engine", choices=("embedded", "neo4j"), default="embedded")
    parser.add_argument("--graph", type=Path, help="embedded graph file (default: a temporary one)")
    parser.add_argument("--no-load", action="store_true", help="the graph already holds the corpus")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-question", type=int, default=5, help="targets per question")
    args = parser.parse_args()

    repo = args.corpus.name
    env = {**os.environ, "KG_OFFLINE": "1", "KG_ENGINE": args.engine}
    with tempfile.TemporaryDirectory() as scratch:
        if args.engine == "embedded":
            env["KG_GRAPH"] = str(args.graph or Path(scratch) / "graph")
            env.pop("NEO4J_URI", None)
        if not args.no_load:
            _kg("load", str(args.corpus), "--repo-name", repo, env=env)
        server_env = {k: v for k, v in env.items() if k.startswith(("KG_", "NEO4J_"))}
        timings = anyio.run(_bench, [], server_env, repo, args.rounds, args.per_question)
    every = [t for ts in timings.values() for t in ts]
    print(f"kg mcp over stdio, {args.engine}, {repo}: {len(every)} tool calls")
    print(f"{'tool':<14} {'calls':>5} {'median ms':>10} {'p90 ms':>8}")
    for tool, ts in sorted(timings.items()):
        p90 = statistics.quantiles(ts, n=10, method="inclusive")[-1] if len(ts) > 1 else ts[0]
        print(f"{tool:<14} {len(ts):>5} {statistics.median(ts):>10.1f} {p90:>8.1f}")
    print(f"median over every call: {statistics.median(every):.1f} ms")


if __name__ == "__main__":
    main()
