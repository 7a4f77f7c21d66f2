"""`kg browser`: exploring the graph in Neo4j Browser.

Prints where the Browser is and how to connect, how to apply kg's style sheet
(cypher/browser/style.grass: a colour, size and `name` caption per label) and the
guided-start queries (cypher/browser/explore.cypher). With --serve it also serves the
style and a Browser guide built from those queries on http://localhost:PORT; the
Browser fetches both itself (`:guide URL`, `:style URL`) because its default
remote-content allowlist holds `localhost`, so one link opens a guide whose first
slide applies the style in one click.
"""

from __future__ import annotations

import html
import os
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

# http.server, urllib.request (ssl) and webbrowser are imported where used: every kg
# command imports this module to declare `kg browser`, and they cost ~0.1 s at start-up
if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

from kg import cypher_files
from kg.config import DEFAULT_GUIDE_PORT, DEFAULT_PASSWORD, Neo4jSettings
from kg.cypher_files import CypherFile
from kg.errors import UsageError

STYLE_FILE = "browser/style.grass"
EXPLORE_FILE = "browser/explore.cypher"
DEFAULT_HTTP_PORT = 7474
# The Browser only fetches guides and styles from hosts on its allowlist
# (browser.remote_content_hostname_allowlist, default "guides.neo4j.com,localhost"):
# the served URLs therefore name "localhost", not 127.0.0.1.
GUIDE_HOST = "localhost"


# -- the style sheet ----------------------------------------------------------------
def style_text() -> str:
    return resources.files("kg.cypher").joinpath(STYLE_FILE).read_text(encoding="utf-8")


def style_path() -> Path | None:
    """The style sheet as a file on disk (to drag onto the Browser), when installed as files."""
    try:
        path = Path(str(resources.files("kg.cypher").joinpath(STYLE_FILE)))
    except (TypeError, ValueError):
        return None
    return path if path.is_file() else None


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """GraSS as Neo4j Browser 5 reads it (its parseGrass, transcribed): selectors outside
    braces (whitespace dropped), `key: value;` pairs inside, quotes stripped. It knows no
    comments, so the style file has none."""
    rules: dict[str, dict[str, str]] = {}
    in_quote = in_rule = nested = False
    selector = body = ""
    for ch in text:
        consumed = True
        if ch == "{":
            if in_quote:
                consumed = False
            elif in_rule:
                nested = True
            else:
                in_rule = True
        elif ch == "}":
            if in_quote:
                consumed = False
            elif nested:
                nested = False
            else:
                in_rule = False
                rules[selector] = body  # type: ignore[assignment]
                selector, body = "", ""
        elif ch in "'\"":
            in_quote = not in_quote
        else:
            consumed = False
        if not consumed:
            if in_rule:
                body += ch
            elif not ch.isspace():
                selector += ch
    parsed: dict[str, dict[str, str]] = {}
    for sel, raw in rules.items():
        props: dict[str, str] = {}
        for declaration in str(raw).split(";"):
            pieces = declaration.split(":")
            if len(pieces) == 2:
                props[pieces[0].strip()] = pieces[1].strip()
        parsed[sel] = props
    return parsed


def style_command() -> str:
    """The style as one Browser command: paste it into the editor and run it."""
    return ":style\n" + style_text()


# -- the exploration queries --------------------------------------------------------
@dataclass(frozen=True)
class Exploration:
    id: str
    title: str
    about: str
    params: dict[str, str]  # name -> default as a Cypher literal
    text: str  # the Cypher, without its header

    def values(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Parameter values for a driver: the defaults, with `overrides` for the names it uses."""
        values = {name: literal_value(default) for name, default in self.params.items()}
        for name, value in (overrides or {}).items():
            if name in values and value is not None:
                values[name] = value
        return values


_EXPLORATION_KEYS = ("query", "title", "about")


def parse_explorations(text: str) -> list[Exploration]:
    """The `// query:` sections of explore.cypher (format documented at its top)."""
    result = []
    for section in CypherFile.parse(text, EXPLORE_FILE).sections("query"):
        query_id = section.value("query")
        for line in section.header:
            if line.key not in _EXPLORATION_KEYS and not line.key.startswith("param "):
                raise ValueError(f"{EXPLORE_FILE}: query {query_id}: unknown header line {line.key or line.value!r}")
        title, cypher = section.value("title"), section.body
        if not title or not cypher:
            raise ValueError(f"{EXPLORE_FILE}: query {query_id} needs a title and a query")
        result.append(Exploration(query_id, title, " ".join(section.values("about")), section.params(), cypher))
    return result


def explorations() -> list[Exploration]:
    return parse_explorations(cypher_files.load(EXPLORE_FILE).text)


def literal_value(literal: str) -> Any:
    """A default from the header (a Cypher string literal or null) as a Python value."""
    literal = literal.strip()
    if literal.lower() == "null":
        return None
    if len(literal) >= 2 and literal[0] == literal[-1] and literal[0] in "'\"":
        return literal[1:-1].replace("\\" + literal[0], literal[0])
    if re.fullmatch(r"-?\d+", literal):
        return int(literal)
    raise ValueError(f"{EXPLORE_FILE}: unsupported parameter default {literal!r} (use 'text' or null)")


def cypher_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def shared_params(queries: list[Exploration], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """One parameter set for every query (first default wins), with overrides applied."""
    values: dict[str, Any] = {}
    for query in queries:
        for name, default in query.params.items():
            values.setdefault(name, literal_value(default))
    for name, value in (overrides or {}).items():
        if name in values and value is not None:
            values[name] = value
    return values


def params_command(values: dict[str, Any]) -> str:
    """`:params {name: 'papi', repo: null}`: sets every parameter the queries use."""
    return ":params {" + ", ".join(f"{k}: {cypher_literal(v)}" for k, v in values.items()) + "}"


# -- where the Browser is -------------------------------------------------------------
def default_browser_url(bolt_uri: str) -> str:
    """The Browser next to a Bolt server: same host, HTTP port NEO4J_HTTP_PORT (7474);
    https on 7473 for an encrypted scheme (bolt+s, neo4j+s, ...)."""
    parsed = urllib.parse.urlsplit(bolt_uri)
    host = parsed.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    if "+s" in parsed.scheme:
        return f"https://{host}:7473/browser/"
    port = os.environ.get("NEO4J_HTTP_PORT") or DEFAULT_HTTP_PORT
    return f"http://{host}:{port}/browser/"


def browser_link(browser_url: str, bolt_uri: str, user: str, guide_url: str | None = None) -> str:
    """The Browser URL with the connection pre-filled (`dbms=`) and, optionally, a guide
    opened on start (`cmd=guide&arg=`)."""
    parsed = urllib.parse.urlsplit(bolt_uri)
    netloc = parsed.netloc.rpartition("@")[2]
    dbms = f"{parsed.scheme}://{user}@{netloc}"
    query = [("dbms", dbms)]
    if guide_url:
        query += [("cmd", "guide"), ("arg", guide_url)]
    base = browser_url.split("?", 1)[0]
    return base + "?" + urllib.parse.urlencode(query, safe=":/@")


def browser_answers(browser_url: str, timeout: float = 3.0) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(browser_url, timeout=timeout) as response:  # noqa: S310 (http(s) only)
            return bool(200 <= response.status < 400)
    except (urllib.error.URLError, OSError, ValueError):
        return False


# -- the guide ----------------------------------------------------------------------
def guide_html(base_url: str, queries: list[Exploration], values: dict[str, Any], connect: str, user: str) -> str:
    """A Neo4j Browser guide (`:guide URL`): one <slide> to start, one per query.

    In guides, an element with `data-exec="cmd"` runs `:cmd` when clicked and
    `pre.runnable` puts its text into the editor."""
    esc = html.escape
    style_cmd = f"style {base_url}/style.grass"
    params_cmd = params_command(values)[1:]
    slides = [
        f"""<slide class="row-fluid">
  <h3>Start here</h3>
  <p>1. Connect to <code>{esc(connect)}</code> as <code>{esc(user)}</code>.</p>
  <p>2. Apply kg's style (a colour, size and name caption per label; the Browser keeps it):</p>
  <p><a href="#" class="kg-apply-style" data-exec="{esc(style_cmd, quote=True)}">:{esc(style_cmd)}</a></p>
  <p>3. Choose what to look at (every query below uses these parameters; change
     <code>name</code> to explore another service, set <code>repo</code> or
     <code>cluster</code> to narrow to one):</p>
  <p><a href="#" class="kg-set-params" data-exec="{esc(params_cmd, quote=True)}">:{esc(params_cmd)}</a></p>
  <p>4. Next slides: {esc("; ".join(q.title for q in queries))}. Click a query to put it
     into the editor, then run it (Ctrl+Enter).</p>
</slide>"""
    ]
    for query in queries:
        used = ", ".join(f"${p}" for p in query.params) or "none"
        slides.append(
            f"""<slide class="row-fluid">
  <h3>{esc(query.title)}</h3>
  <p>{esc(query.about)}</p>
  <p>Parameters: {esc(used)}</p>
  <pre class="code runnable kg-query" data-kg-query="{esc(query.id, quote=True)}">{esc(query.text)}</pre>
</slide>"""
        )
    body = "\n".join(slides)
    return f"""<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>flux-kg: explore the graph</title></head>
<body>
<article class="guide">
{body}
</article>
</body>
</html>
"""


@dataclass
class GuideServer:
    """Serves /style.grass, /guide.html and /explore.cypher on 127.0.0.1:port for the
    Browser (CORS open: the Browser page lives on another origin)."""

    connect: str
    user: str
    port: int = DEFAULT_GUIDE_PORT
    overrides: dict[str, Any] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        server = self

        class Handler(BaseHTTPRequestHandler):
            def _headers(self, status: int, content_type: str | None = None, length: int = 0) -> None:
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "GET, OPTIONS")
                self.send_header(
                    "Access-Control-Allow-Headers", self.headers.get("Access-Control-Request-Headers", "*")
                )
                self.send_header("Access-Control-Allow-Private-Network", "true")
                self.send_header("Cache-Control", "no-store")
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(length))
                self.end_headers()

            def do_OPTIONS(self) -> None:  # CORS preflight (the Browser sends no-cache headers)
                self._headers(204)

            def do_GET(self) -> None:
                found = server.content(urllib.parse.urlsplit(self.path).path)
                if found is None:
                    data = b"not found\n"
                    self._headers(404, "text/plain; charset=utf-8", len(data))
                    self.wfile.write(data)
                    return
                content_type, data = found
                self._headers(200, content_type, len(data))
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        except OSError as exc:
            raise UsageError(
                f"cannot serve the guide on 127.0.0.1:{self.port}: {exc.strerror or exc}; choose another --port"
            ) from exc
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{GUIDE_HOST}:{self.port}"

    @property
    def style_url(self) -> str:
        return f"{self.base_url}/style.grass"

    @property
    def guide_url(self) -> str:
        return f"{self.base_url}/guide.html"

    def content(self, path: str) -> tuple[str, bytes] | None:
        if path == "/style.grass":
            return "text/plain; charset=utf-8", style_text().encode()
        if path in ("/", "/guide.html"):
            queries = explorations()
            page = guide_html(self.base_url, queries, shared_params(queries, self.overrides), self.connect, self.user)
            return "text/html; charset=utf-8", page.encode()
        if path == "/explore.cypher":
            return "text/plain; charset=utf-8", cypher_files.text(EXPLORE_FILE).encode()
        return None

    def start(self) -> GuideServer:
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name="kg-guide", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        assert self._server is not None
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GuideServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# -- the command --------------------------------------------------------------------
def instructions(
    settings: Neo4jSettings,
    browser_url: str,
    answering: bool | None,
    overrides: dict[str, Any],
    password_from_env: bool,
    guide: GuideServer | None = None,
) -> str:
    queries = explorations()
    values = shared_params(queries, overrides)
    link = browser_link(browser_url, settings.uri, settings.user, guide.guide_url if guide else None)
    state = (
        ""
        if answering is None
        else (
            "  (answering)"
            if answering
            else "  (not answering: start Neo4j with scripts/neo4j-local start or docker compose up -d)"
        )
    )
    password = "the value of NEO4J_PASSWORD" if password_from_env else f"{DEFAULT_PASSWORD} (kg's default)"
    out = [
        f"Neo4j Browser  {link}{state}",
        f"connect URL    {settings.uri}",
        f"user           {settings.user}",
        f"password       {password}",
        "graph          what kg loaded into Neo4j (`kg load REPO --engine neo4j`, or with NEO4J_URI set);",
        "               the embedded graph file is not served by a Browser",
        "",
    ]
    if guide:
        out += [
            f"Serving kg's guide and style on {guide.base_url} (Ctrl+C stops).",
            "Open the link above and connect: the kg guide opens in the sidebar. Click",
            f"  :style {guide.style_url}",
            "in it to apply kg's style (colour, size and name caption per label; the Browser keeps",
            "it), then the parameters, then any query. The same by hand, in the Browser editor:",
            f"  :guide {guide.guide_url}",
            f"  :style {guide.style_url}",
            "The guide holds the queries; `kg browser` prints them.",
        ]
        return "\n".join(out)
    path = style_path()
    out += [
        "Style (a colour, size and name caption per label; the Browser keeps it until :style reset):",
        "  kg browser --serve          serves a guide whose first slide applies it in one click",
        "  kg browser --style          prints it as one command: paste it into the Browser editor, run it",
    ]
    if path:
        out.append(f"  or drag {path} onto the Browser window")
    out += [
        "",
        "Guided start: set the parameters once (change name to explore another service),",
        "then paste a query into the Browser editor and run it (Ctrl+Enter).",
        "",
        params_command(values),
    ]
    for query in queries:
        out += ["", f"// {query.title}", query.text]
    return "\n".join(out)


def run(
    serve: bool,
    port: int,
    open_browser: bool,
    style: bool,
    name: str | None,
    cluster: str | None,
    repo: str | None,
    browser_url: str | None,
    uri: str | None,
    user: str | None,
) -> None:
    """`kg browser` (its options are in kg/cli.py): the Browser's address, how to
    connect, kg's style and ready-to-paste queries; --serve adds a guide."""
    import webbrowser

    if style:
        typer.echo(style_command())
        return
    settings = Neo4jSettings.resolve(uri, user)
    url = browser_url or default_browser_url(settings.uri)
    overrides = {"name": name, "cluster": cluster, "repo": repo}
    password_from_env = bool(os.environ.get("NEO4J_PASSWORD"))
    answering = browser_answers(url)
    if not serve:
        typer.echo(instructions(settings, url, answering, overrides, password_from_env))
        if open_browser:
            webbrowser.open(browser_link(url, settings.uri, settings.user))
        return
    guide = GuideServer(settings.uri, settings.user, port, overrides)
    typer.echo(instructions(settings, url, answering, overrides, password_from_env, guide))
    if open_browser:
        webbrowser.open(browser_link(url, settings.uri, settings.user, guide.guide_url))
    try:
        guide.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        guide.stop()
