"""Secrets lineage in a real Neo4j: credentials answered by Cypher, and no secret value
in any stored property, in `kg load` output or in an exported file."""

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_secrets_no_values import forbidden, repos  # noqa: E402

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "eso-vault"


def kg(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_where_payments_api_gets_its_database_password(cli_env, store, repo_name):
    assert kg("load", FIXTURE, "--repo-name", repo_name, "--format", "json").exit_code == 0
    rows = store.query(
        """
        MATCH (w:Workload {name: 'payments-api'})-[u:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[f:FETCHES]->(p:VaultPath),
              (e)-[:VIA]->(st:SecretStore)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(svc:Service)
        WHERE w.repo = $repo AND 'DB_PASSWORD' IN u.keys AND f.object_name = 'DB_PASSWORD'
        RETURN s.name AS secret, e.name AS external_secret, p.path AS path, p.api_path AS api_path, f.key AS key,
               st.name AS store, b.name AS backend, svc.namespace + '/' + svc.name AS service
        """,
        {"repo": repo_name},
    )
    assert rows == [
        {
            "secret": "payments-db-credentials",
            "external_secret": "payments-db",
            "path": "kv/payments/db",
            "api_path": "kv/data/payments/db",
            "key": "password",
            "store": "vault-kv",
            "backend": "vault",
            "service": "vault/vault",
        }
    ]
    # the CSI driver reads the very same node
    readers = store.query(
        "MATCH (p:VaultPath {path: 'kv/payments/db', backend: 'vault.vault.svc.cluster.local:8200'})<-[:FETCHES]-(x) "
        "WHERE p.repo = $repo RETURN DISTINCT x.kind AS kind, x.name AS name ORDER BY kind",
        {"repo": repo_name},
    )
    assert readers == [
        {"kind": "ExternalSecret", "name": "payments-db"},
        {"kind": "SecretProviderClass", "name": "vault-payments"},
    ]


@pytest.mark.parametrize("repo", repos())
def test_no_secret_value_in_neo4j_output_or_export(repo, request, cli_env, store, repo_name, tmp_path):
    if isinstance(repo, str):
        repo = request.getfixturevalue("corpora") / repo
    loaded = kg("load", repo, "--repo-name", repo_name, "--warnings")
    assert loaded.exit_code == 0, loaded.output
    nodes = store.query("MATCH (n) WHERE n.repo = $repo RETURN properties(n) AS p", {"repo": repo_name})
    rels = store.query("MATCH (a)-[r]->() WHERE a.repo = $repo RETURN properties(r) AS p", {"repo": repo_name})
    assert nodes
    exported = kg("export", "--out", tmp_path / "out", "--repo", repo_name, "--timestamp", "2026-01-01T00:00:00Z")
    assert exported.exit_code == 0, exported.output
    files = "".join(p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())
    text = json.dumps([r["p"] for r in nodes + rels], ensure_ascii=False) + loaded.output + exported.output + files
    assert sorted(v for v in forbidden(repo) if v in text) == []


def test_blast_radius_of_vault_reaches_workloads_fed_by_external_secrets(cli_env, store, repo_name):
    assert kg("load", FIXTURE, "--repo-name", repo_name, "--format", "json").exit_code == 0
    result = kg("ask", "blast-radius", "vault", "--repo", repo_name, "--format", "json")
    assert result.exit_code == 0, result.output
    runtime = {row["name"]: row for row in json.loads(result.output) if row["impact"] == "runtime"}
    # which workloads read a Secret that an ExternalSecret syncs from the in-cluster Vault
    fed = store.query(
        "MATCH (w:Workload)-[:USES]->(:Secret)<-[:SYNCS]-(:ExternalSecret)-[:VIA]->(:SecretStore)-[:BACKED_BY]->(b:SecretBackend {name: 'vault'}) "
        "WHERE w.repo = $repo RETURN DISTINCT w.name AS name",
        {"repo": repo_name},
    )
    assert {"payments-api", "payments-report"} <= {r["name"] for r in fed}
    for row in fed:
        assert row["name"] in runtime, row
    # a workload whose only link to Vault is an ExternalSecret-synced Secret is explained by it
    report = runtime["payments-report"]
    assert "<-[SYNCS]- ExternalSecret/" in report["evidence"] and report["evidence"].endswith("SecretBackend/vault")
    assert report["reason"].startswith("uses Secret ")
