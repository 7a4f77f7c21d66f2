"""`kg mcp`: the knowledge graph as an MCP server (the official `mcp` SDK, its low-level
Server: tools are generated from the question catalogue at start, with the JSON Schemas
kg/mcp_tools.py builds from the file headers, which the SDK's decorator-based server
would derive from Python signatures instead).

Transports: stdio (an MCP client starts `kg mcp` itself) and streamable HTTP
(`--http HOST:PORT`, 127.0.0.1 unless told otherwise; no authentication, so a
non-loopback address is for trusted networks only). Only this module imports the SDK,
and only `kg mcp` imports this module: `kg ask` does not pay for it.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server import Server
from mcp.shared.exceptions import MCPError

from kg import __version__
from kg.mcp_tools import DEBUG_PROMPT, SEARCH, ResourceFile, Toolbox, resources

log = logging.getLogger("kg.mcp")

INSTRUCTIONS = f"""kg answers questions about a Flux CD GitOps repository from its knowledge graph: where a service
runs, what applies it, what it depends on, what breaks if something fails, where its secrets and config come
from, with the path through the graph that explains each row. Start with kg_overview (what is loaded); use
{SEARCH} to turn a vague name into the name/kind/namespace/cluster the question tools take; each question is a
tool; kg_cypher runs a read-only query for anything else (schema: resource kg://schema). The graph is the
repository as Flux would apply it, not the live cluster: check the cluster with the commands the answers give."""


def build_server(toolbox: Toolbox, files: list[ResourceFile]) -> Server[Any]:
    """The low-level server: every handler answers from the toolbox in a worker thread
    (store calls block), and none lets an exception (or its traceback) reach the wire."""
    by_uri = {f.uri: f for f in files}
    annotations = types.ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )
    tools = [
        types.Tool(
            name=s.name, title=s.title, description=s.description, input_schema=s.input_schema, annotations=annotations
        )
        for s in toolbox.specs.values()
    ]

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        result = await anyio.to_thread.run_sync(toolbox.call, params.name, dict(params.arguments or {}))
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=result.text)],
            structured_content=result.payload,
            is_error=result.is_error,
        )

    async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(uri=f.uri, name=f.name, description=f.description, mime_type=f.mime_type) for f in files
            ]
        )

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        found = by_uri.get(str(params.uri))
        if found is None:
            raise MCPError(types.INVALID_PARAMS, f"unknown resource {params.uri}; resources: {', '.join(by_uri)}")
        try:
            text = await anyio.to_thread.run_sync(found.read)
        except OSError as exc:
            raise MCPError(
                types.INTERNAL_ERROR, f"cannot read {found.name}: {exc.strerror} (run `kg export` again)"
            ) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=found.uri, mime_type=found.mime_type, text=text)]
        )

    async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=DEBUG_PROMPT,
                    title="Debug a service",
                    description="Walk the platform's check order for one service (Flux source, Kustomization, "
                    "HelmRelease, events, pods, logs, metrics, secrets, config), filled in from the graph.",
                    arguments=[
                        types.PromptArgument(
                            name="name", description="the service, workload or HelmRelease", required=True
                        ),
                        types.PromptArgument(name="cluster", description="only this cluster", required=False),
                        types.PromptArgument(name="repo", description="only this loaded repository", required=False),
                    ],
                )
            ]
        )

    async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        if params.name != DEBUG_PROMPT:
            raise MCPError(types.INVALID_PARAMS, f"unknown prompt {params.name!r}; prompts: {DEBUG_PROMPT}")
        arguments = dict(params.arguments or {})
        if not arguments.get("name"):
            raise MCPError(
                types.INVALID_PARAMS, f"{DEBUG_PROMPT} needs the argument name (a service, workload or HelmRelease)"
            )
        description, text = await anyio.to_thread.run_sync(
            toolbox.debug_prompt, arguments["name"], arguments.get("cluster"), arguments.get("repo")
        )
        return types.GetPromptResult(
            description=description,
            messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
        )

    def input_schema(name: str) -> dict[str, Any] | None:
        spec = toolbox.specs.get(name)
        return spec.input_schema if spec else None

    return Server(
        "kg",
        version=__version__,
        title="flux-kg",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


def parse_http(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT` or `PORT` (host 127.0.0.1); `[::1]:PORT` for IPv6."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--http takes HOST:PORT or PORT, not {value!r}")
    return host, int(port)


async def _serve_stdio(server: Server[Any]) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


async def _serve_http(server: Server[Any], host: str, port: int, announce: Callable[[str], None]) -> None:
    import uvicorn

    # bind first, so port 0 (any free port) can be announced as the port it became
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    app = server.streamable_http_app(host=host)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    shown = f"[{host}]" if ":" in host else host
    announce(f"kg mcp: serving streamable HTTP on http://{shown}:{bound}/mcp")
    await uvicorn.Server(config).serve(sockets=[sock])


def serve(
    open_store: Callable[[], Any],
    *,
    http: str | None = None,
    skill_dir: Path | None = None,
    row_cap: int,
    cypher_timeout: float,
) -> None:
    """Serve until the client hangs up (stdio) or Ctrl-C (HTTP)."""
    toolbox = Toolbox(open_store, row_cap=row_cap, cypher_timeout=cypher_timeout)
    files = resources(skill_dir)
    server = build_server(toolbox, files)

    def announce(line: str) -> None:
        # stderr: on stdio, stdout is the protocol's
        print(line, file=sys.stderr, flush=True)

    try:
        if http is None:
            anyio.run(_serve_stdio, server)
        else:
            host, port = parse_http(http)
            if host not in ("127.0.0.1", "localhost", "::1"):
                announce(f"kg mcp: warning: {host} is not a loopback address and the server has no authentication")
            anyio.run(_serve_http, server, host, port, announce)
    finally:
        toolbox.close()
