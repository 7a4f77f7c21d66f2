"""Start-up of a question (issue 21: `kg ask where NAME` under 0.3 s on the example): a
command imports only what it uses. pydantic (typer's parameter adapters, ~70 ms) and
Rich (a person's table, ~25 ms) stay out of a JSON answer's process; so do asyncio and
ssl (Ladybug's AsyncConnection, ~15-25 ms) and the Browser command's HTML and HTTP parts."""

import json
import subprocess
import sys


def imported_modules(*args: str, tmp_path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def test_a_json_answer_imports_neither_pydantic_nor_rich(tmp_path):
    # nothing loaded here: the command parses its options, opens no graph and exits 1
    modules = imported_modules(
        "ask", "where", "papi", "--format", "json", "--engine", "embedded", "--graph", str(tmp_path / "graph"),
        tmp_path=tmp_path,
    )  # fmt: skip
    assert "kg.questions" in modules
    assert "pydantic" not in modules
    assert not {m for m in modules if m == "rich" or m.startswith("rich.")}


def test_an_answer_from_the_embedded_graph_imports_neither_asyncio_nor_the_browser(tmp_path, example_load):
    from kg.config import EmbeddedSettings
    from kg.store import EmbeddedStore

    graph = tmp_path / "graph"
    with EmbeddedStore(EmbeddedSettings(graph)) as store:
        store.write(example_load.graph, "platform", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kg.cli", "ask", "where", "papi", "--format", "json",
         "--engine", "embedded", "--graph", str(graph)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)[0]["workload"] == "papi"  # the graph was opened and answered
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "ladybug" in modules
    assert not {"asyncio", "ssl", "kg.browser", "ctypes"} & modules


def test_ladybugs_async_connection_still_loads_when_asked_for():
    """kg holds Ladybug's AsyncConnection module back while importing the package; code in
    the same process that wants it still gets the real one."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from kg.store.embedded_store import _ladybug; lb = _ladybug(); assert 'asyncio' not in sys.modules; "
         "from ladybug.async_connection import AsyncConnection; print(AsyncConnection.__module__, lb.Database.__name__)"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ladybug.async_connection", "Database"]


def test_options_keep_their_values_and_refusals(tmp_path):
    """Text options pass through typer without pydantic: the values arrive unchanged, and
    an option that wants a number still refuses text."""
    from typer.testing import CliRunner

    from kg.cli import app

    result = CliRunner().invoke(app, ["ask", "where", "pa pi", "--engine", "nosuch", "--graph", str(tmp_path / "g")])
    assert result.exit_code == 2 and "nosuch" in result.output
    result = CliRunner().invoke(app, ["browser", "--serve", "--port", "notanumber"])
    assert result.exit_code == 2 and "--port" in result.output
