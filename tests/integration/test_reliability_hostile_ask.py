"""`kg ask` arguments are plain names (issue 7, point 3): quotes, backticks, Cypher
fragments, parameters, regex, unicode, huge and control characters, as the target,
--cluster and --repo of every question. Each answers (0) or says not found (1), one
clean message, never a traceback, and the database is unchanged afterwards."""

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.questions import catalogue

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability_helpers import snapshot  # noqa: E402

pytestmark = pytest.mark.integration

HOSTILE = [
    "x'}) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n RETURN 1 //',
    "papi' OR '1'='1",
    "`Workload`) DETACH DELETE n //",
    "papi\" WITH n MATCH (m) SET m.name = 'pwned' //",
    "$name",
    "{name}",
    "${name}",
    "papi*",
    ".*",
    "(?i)PAPI",
    "%",
    "\\",
    "\\'",
    "CALL dbms.shutdown()",
    "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "名前-ü✓",
    "papi\nDETACH DELETE n",
    "papi\x00",
    "a" * 10000,
    "Deployment/papi'})-[r]-() DELETE r //",
    'backend-services/papi"//',
]


def kg(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_hostile_arguments_are_plain_names(cli_env, store, example_repo, repo_name):
    assert kg("load", example_repo, "--repo-name", repo_name).exit_code == 0
    before = snapshot(store, repo_name)
    total_before = store.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
    questions = list(catalogue().values())
    for value in HOSTILE:
        for question in questions:
            target = [value] if question.takes_target else []
            for args in (
                [*target, "--repo", repo_name],
                ["papi", "--cluster", value, "--repo", repo_name]
                if question.takes_target
                else ["--cluster", value, "--repo", repo_name],
                [*(["papi"] if question.takes_target else []), "--repo", value],
            ):
                result = kg("ask", question.name, *args, "--format", "json")
                assert result.exit_code in (0, 1), (question.name, args, result.output)
                assert "Traceback" not in result.output
                if result.exit_code == 1:
                    assert result.output.startswith("kg: error:") and result.output.count("\n") == 1, result.output
    assert snapshot(store, repo_name) == before
    # nothing elsewhere in the database was touched either (other tests only add)
    assert store.query("MATCH (n) RETURN count(n) AS n")[0]["n"] >= total_before
    assert not store.query("MATCH (n) WHERE n.name = 'pwned' RETURN n LIMIT 1")
