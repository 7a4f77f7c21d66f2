"""Expected failures are one readable line on stderr and a documented exit code."""

import socket
import subprocess
import sys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_kg(*args, env_extra=None):
    import os

    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def test_neo4j_down_is_one_line_and_exit_3():
    uri = f"bolt://127.0.0.1:{_free_port()}"
    for args in (["db", "status"], ["ask", "where", "papi"], ["export", "--out", "/tmp/kg-never"]):
        proc = run_kg(*args, env_extra={"NEO4J_URI": uri})
        assert proc.returncode == 3, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert lines[0].startswith("kg: error: cannot reach Neo4j at " + uri)
        assert "Traceback" not in proc.stderr


def test_load_of_a_folder_without_cluster_is_a_clear_error(tmp_path):
    (tmp_path / "README.md").write_text("not a flux repo")
    proc = run_kg("load", str(tmp_path), env_extra={"NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}"})
    # Neo4j is checked first: nothing is rendered for nothing
    assert proc.returncode == 3


def test_help_for_every_command():
    for args in (
        ["--help"],
        ["load", "--help"],
        ["ask", "--help"],
        ["ask", "where", "--help"],
        ["ask", "blast-radius", "--help"],
        ["export", "--help"],
        ["db", "status", "--help"],
    ):
        proc = run_kg(*args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Usage" in proc.stdout
    proc = run_kg("ask", "blast-radius", "--help")
    assert "Columns: cluster, impact, kind, name, namespace, reason, evidence" in " ".join(proc.stdout.split())


def test_readme_exit_codes_are_generated_from_kg_errors():
    """README's exit-code table is `python -m kg.errors`: one source for every code."""
    from pathlib import Path

    from kg.errors import exit_code_table

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- exit codes: begin -->\n", 1)[1].split("<!-- exit codes: end -->", 1)[0]
    assert shown == exit_code_table()
