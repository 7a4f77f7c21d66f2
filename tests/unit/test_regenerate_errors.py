"""The regenerate skill's error table tells an assistant what kg really prints on the
default engine: each embedded-engine failure is caused here for real (no graph yet, a
damaged graph file, a read-only folder) and its message and exit code must be a row of
the table the skill ships."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from kg.cli import app
from kg.skill.markdown import _template

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform"


def _rows() -> list[tuple[str, str]]:
    """(message prefix without backticks, exit code) of each row of the error table."""
    table = _template("flux-infra-guide-regenerate").split("## Error Handling", 1)[1]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1] not in ("Exit", "-") and not cells[1].startswith("-"):
            rows.append((cells[0], cells[1]))
    return rows


def _listed(output: str, code: int) -> bool:
    """Whether some row's first quoted message (its `...` parts as wildcards) matches the
    error line kg printed, with the same exit code."""
    line = next(t for t in output.splitlines() if t.startswith("kg: error: ")).removeprefix("kg: error: ")
    for message, exit_code in _rows():
        first = re.findall(r"`([^`]+)`", message)
        if not first or exit_code != str(code):
            continue
        pattern = ".*".join(re.escape(part) for part in first[0].split("...")).strip()
        if re.match(pattern, line):
            return True
    return False


def test_the_embedded_engines_errors_are_in_the_table(tmp_path):
    runner = CliRunner()
    graph = tmp_path / "graph"
    nothing = runner.invoke(app, ["ask", "where", "papi", "--engine", "embedded", "--graph", str(graph)])
    assert nothing.exit_code == 1 and _listed(nothing.output, 1), nothing.output
    graph.write_bytes(b"not a graph file")
    damaged = runner.invoke(app, ["ask", "where", "papi", "--engine", "embedded", "--graph", str(graph)])
    assert damaged.exit_code == 3 and _listed(damaged.output, 3), damaged.output


def test_the_neo4j_errors_stay_in_the_table():
    messages = [m for m, _ in _rows()]
    assert any(m.startswith("`cannot reach Neo4j at") for m in messages)
    assert any("refused the credentials" in m for m in messages)
