"""Golden outputs: `kg ask ... --format json|csv` on examples/platform, on the embedded
engine, byte for byte. Programs read these formats; a change to how a person's table
looks must not move a byte here. KG_UPDATE_GOLDEN=1 rewrites the files (review the diff)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "answers"
ASKED = [
    ("blast-radius", "vault"),
    ("where", "papi"),
    ("secrets", "papi"),
    ("config", "papi"),
    ("debug", "papi"),
    ("problems", None),
    ("tree", "runwhen-backend-services"),
    ("depends-on", "runwhen-corestate"),
]


def kg(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def example_graph(tmp_path_factory, example_repo):
    graph = tmp_path_factory.mktemp("golden") / "graph"
    saved = {k: os.environ.get(k) for k in ("KG_GRAPH", "KG_ENGINE", "NEO4J_URI")}
    os.environ.update(KG_GRAPH=str(graph), KG_ENGINE="embedded")
    os.environ.pop("NEO4J_URI", None)
    kg("load", str(example_repo), "--format", "json")
    yield graph
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("question,name", ASKED, ids=[q for q, _ in ASKED])
def test_machine_formats_are_byte_stable(example_graph, question, name, fmt):
    output = kg("ask", question, *([name] if name else []), "--format", fmt)
    # the chart cache is a temporary folder of the test session (charts_offline)
    output = output.replace(os.environ["KG_CHART_CACHE"], "<chart-cache>")
    golden = GOLDEN / f"{question}.{fmt}"
    if os.environ.get("KG_UPDATE_GOLDEN") == "1":
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")
