"""`kg browser`: the style sheet, the exploration queries, the guide and its server (no database)."""

import fnmatch
import html
import re
import tomllib
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import browser
from kg.cli import app
from kg.schema import NODE_TYPES

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_TOPICS = {"service", "flux-tree", "failing", "vault", "depends-on"}


# -- style ----------------------------------------------------------------------------
def test_style_covers_every_label_with_colour_size_and_name_caption():
    rules = browser.parse_grass(browser.style_text())
    missing = [label for label in NODE_TYPES if f"node.{label}" not in rules]
    assert not missing, f"style.grass has no rule for {missing}"
    for label in NODE_TYPES:
        rule = rules[f"node.{label}"]
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule.get("color", "")), (label, rule)
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule.get("border-color", "")), (label, rule)
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule.get("text-color-internal", "")), (label, rule)
        assert re.fullmatch(r"\d+px", rule.get("diameter", "")), (label, rule)
        assert rule.get("caption") == "{name}", (label, rule)


def test_style_colours_tell_labels_apart():
    rules = browser.parse_grass(browser.style_text())
    colours = [rules[f"node.{label}"]["color"].upper() for label in NODE_TYPES]
    assert len(set(colours)) == len(colours)


def test_style_parses_as_the_browser_parses_it():
    """Browser 5's GraSS parser knows no comments and splits on ':' and ';': every rule of
    the file must come out whole, with nothing but known selectors."""
    text = browser.style_text()
    assert "/*" not in text and "//" not in text
    rules = browser.parse_grass(text)
    assert len(rules) == len(re.findall(r"(?m)^[^\s{}][^{}]*\{\s*$", text))
    for selector, props in rules.items():
        assert re.fullmatch(r"(node|relationship)(\.[A-Za-z_]+)?", selector), selector
        assert props, selector
    assert set(rules) >= {"node", "relationship"}


def test_style_command_is_the_file_behind_style():
    command = browser.style_command()
    assert command.startswith(":style\n")
    assert browser.parse_grass(command[len(":style") :]) == browser.parse_grass(browser.style_text())


def test_style_ships_in_the_wheel():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "kg.cypher"
    ]
    for path in (ROOT / "cypher").rglob("*"):
        if path.is_file() and path.suffix in (".cypher", ".grass"):
            relative = path.relative_to(ROOT / "cypher").as_posix()
            assert any(fnmatch.fnmatch(relative, pattern) for pattern in package_data), relative


# -- exploration queries ----------------------------------------------------------------
def test_explorations_cover_the_guided_start():
    queries = browser.explorations()
    ids = [q.id for q in queries]
    assert len(ids) == len(set(ids))
    assert REQUIRED_TOPICS <= set(ids)
    for q in queries:
        assert q.title and q.about and q.text, q.id
        assert not q.text.lstrip().startswith("//"), q.id


def test_exploration_parameters_are_declared_and_used():
    for q in browser.explorations():
        used = set(re.findall(r"\$([A-Za-z_]\w*)", q.text))
        assert used == set(q.params), (q.id, used, q.params)
        for name, default in q.params.items():
            if browser.literal_value(default) is None:  # an optional filter
                assert f"${name} IS NULL OR" in q.text, (q.id, name)


def test_parse_explorations_format():
    text = """// documentation
// more

// query: one
// title: First
// about: line one
// about: line two
// param name: 'it''s'
// param repo: null
MATCH (n) WHERE n.name = $name AND ($repo IS NULL OR n.repo = $repo)
RETURN n

// query: two
// title: Second
RETURN 1
"""
    one, two = browser.parse_explorations(text)
    assert (one.id, one.title, one.about) == ("one", "First", "line one line two")
    assert one.params == {"name": "'it''s'", "repo": "null"}
    assert one.text.startswith("MATCH (n)") and one.text.endswith("RETURN n")
    assert (two.id, two.params, two.text) == ("two", {}, "RETURN 1")
    with pytest.raises(ValueError):
        browser.parse_explorations("// query: x\n// titel: typo\nRETURN 1\n")
    with pytest.raises(ValueError):
        browser.parse_explorations("// query: x\n// title: no query\n")


def test_parameter_values_and_literals():
    assert browser.literal_value("'papi'") == "papi"
    assert browser.literal_value("null") is None
    assert browser.literal_value("3") == 3
    with pytest.raises(ValueError):
        browser.literal_value("{a: 1}")
    assert browser.cypher_literal("it's") == "'it\\'s'"
    assert browser.cypher_literal(None) == "null"
    queries = browser.explorations()
    values = browser.shared_params(queries, {"name": "corestate", "repo": None, "unknown": "x"})
    assert values == {"name": "corestate", "cluster": None, "repo": None}
    assert browser.params_command(values) == ":params {name: 'corestate', cluster: null, repo: null}"
    service = next(q for q in queries if q.id == "service")
    assert service.values({"repo": "r1"}) == {"name": "papi", "cluster": None, "repo": "r1"}


# -- Browser address, guide, server -------------------------------------------------------
def test_browser_urls(monkeypatch):
    monkeypatch.delenv("NEO4J_HTTP_PORT", raising=False)
    assert browser.default_browser_url("bolt://127.0.0.1:7687") == "http://127.0.0.1:7474/browser/"
    assert browser.default_browser_url("neo4j+s://graph.example.com") == "https://graph.example.com:7473/browser/"
    monkeypatch.setenv("NEO4J_HTTP_PORT", "17474")
    assert browser.default_browser_url("bolt://localhost:17687") == "http://localhost:17474/browser/"
    link = browser.browser_link("http://127.0.0.1:7474/browser/", "bolt://127.0.0.1:7687", "neo4j")
    assert link == "http://127.0.0.1:7474/browser/?dbms=bolt://neo4j@127.0.0.1:7687"
    link = browser.browser_link(
        "http://127.0.0.1:7474/browser/", "bolt://127.0.0.1:7687", "neo4j", "http://localhost:7480/guide.html"
    )
    assert link.endswith("&cmd=guide&arg=http://localhost:7480/guide.html")


class _Slides(HTMLParser):
    def __init__(self):
        super().__init__()
        self.slides = 0
        self.execs: list[str] = []
        self.runnable: list[str] = []
        self._in_pre = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "slide":
            self.slides += 1
        if "data-exec" in attrs:
            self.execs.append(attrs["data-exec"])
        if tag == "pre" and "runnable" in (attrs.get("class") or ""):
            self._in_pre = True
            self.runnable.append("")

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_pre = False

    def handle_data(self, data):
        if self._in_pre:
            self.runnable[-1] += data


def test_guide_has_a_start_slide_and_one_runnable_query_per_slide():
    queries = browser.explorations()
    values = browser.shared_params(queries, {"repo": "r<1>"})
    page = browser.guide_html("http://localhost:7480", queries, values, "bolt://127.0.0.1:7687", "neo4j")
    parsed = _Slides()
    parsed.feed(page)
    assert parsed.slides == len(queries) + 1
    assert parsed.execs == [
        "style http://localhost:7480/style.grass",
        "params {name: 'papi', cluster: null, repo: 'r<1>'}",
    ]
    assert parsed.runnable == [q.text for q in queries]
    assert "<title>" in page and "r<1>" not in page.replace(html.escape("r<1>"), "")


def test_guide_server_serves_style_guide_and_cors():
    with browser.GuideServer("bolt://127.0.0.1:7687", "neo4j", port=0) as server:
        assert server.base_url.startswith("http://localhost:")
        local = f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(local + "/style.grass", timeout=10) as r:
            assert r.headers["Access-Control-Allow-Origin"] == "*"
            assert r.read().decode() == browser.style_text()
        with urllib.request.urlopen(local + "/guide.html", timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/html")
            assert server.style_url in r.read().decode()
        preflight = urllib.request.Request(
            local + "/guide.html",
            method="OPTIONS",
            headers={"Origin": "http://127.0.0.1:7474", "Access-Control-Request-Headers": "pragma,cache-control"},
        )
        with urllib.request.urlopen(preflight, timeout=10) as r:
            assert r.status == 204
            assert r.headers["Access-Control-Allow-Origin"] == "*"
            assert "pragma" in r.headers["Access-Control-Allow-Headers"]
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(local + "/etc/passwd", timeout=10)
        assert error.value.code == 404


def test_guide_server_port_taken_is_a_usage_error():
    from kg.errors import UsageError

    with browser.GuideServer("bolt://127.0.0.1:7687", "neo4j", port=0) as server:
        with pytest.raises(UsageError, match="choose another --port"):
            browser.GuideServer("bolt://127.0.0.1:7687", "neo4j", port=server.port)


# -- the command --------------------------------------------------------------------------
def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kg_browser_prints_url_connection_style_and_queries(monkeypatch):
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    monkeypatch.delenv("NEO4J_USER", raising=False)
    url = f"http://127.0.0.1:{_closed_port()}/browser/"
    result = CliRunner().invoke(
        app,
        ["browser", "--browser-url", url, "--uri", "bolt://127.0.0.1:7687", "--name", "corestate"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{url}?dbms=bolt://neo4j@127.0.0.1:7687" in out
    assert "not answering" in out
    assert "connect URL    bolt://127.0.0.1:7687" in out
    assert "user           neo4j" in out
    assert "kg-password" in out
    assert "kg browser --serve" in out and "kg browser --style" in out
    assert ":params {name: 'corestate', cluster: null, repo: null}" in out
    for q in browser.explorations():
        assert f"// {q.title}\n{q.text}" in out


def test_kg_browser_never_prints_a_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret-value")
    url = f"http://127.0.0.1:{_closed_port()}/browser/"
    result = CliRunner().invoke(app, ["browser", "--browser-url", url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "s3cret-value" not in result.output
    assert "NEO4J_PASSWORD" in result.output


def test_kg_browser_style_prints_the_style_command():
    result = CliRunner().invoke(app, ["browser", "--style"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.rstrip("\n") == browser.style_command().rstrip("\n")


def test_serve_instructions_point_at_the_guide():
    from kg.config import Neo4jSettings

    settings = Neo4jSettings("bolt://127.0.0.1:7687", "neo4j", "kg-password", None)
    with browser.GuideServer(settings.uri, settings.user, port=0) as guide:
        text = browser.instructions(settings, "http://127.0.0.1:7474/browser/", True, {}, False, guide)
    first = text.splitlines()[0]
    assert (
        first
        == f"Neo4j Browser  http://127.0.0.1:7474/browser/?dbms=bolt://neo4j@127.0.0.1:7687&cmd=guide&arg={guide.guide_url}  (answering)"
    )
    assert f":style {guide.style_url}" in text
    assert f":guide {guide.guide_url}" in text
