"""No secret leakage end to end (issue 7, point 4), beyond the records and the export
(tests/unit/test_secrets_no_values.py, tests/integration/test_secrets_neo4j.py): no
value from a SOPS file, a Secret's data/stringData or a Secret-sourced variable in
`kg ask` output (every question, every name), in `kg load` logs at every verbosity,
or in warnings and error messages, including those about broken Secret files."""

import base64
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kg.cli import app
from kg.questions import catalogue

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_messy_input import make_repo  # noqa: E402
from test_secrets_no_values import FIXTURES, ROOT, forbidden  # noqa: E402

pytestmark = pytest.mark.integration

# plaintexts of the hostile repository below; most sit in files that do not even parse,
# so the scan of test_secrets_no_values cannot find them by itself
PLAINTEXTS = {
    "plain": "kg-leak-plain-5f1c",
    "b64": "kg-leak-b64-77aa",
    "broken": "kg-leak-broken-91d2",
    "noname": "kg-leak-noname-3b3b",
    "badmeta": "kg-leak-badmeta-e0e0",
    "literal": "kg-leak-literal-0c0c",
    "var": "kg-leak-var-aa11",
    "explicit": "kg-leak-explicit-6d6d",
    "sops": "kg-leak-sops-ciphertext-4242",
}
ENC = f"ENC[AES256_GCM,data:{PLAINTEXTS['sops']},iv:aXY=,tag:dGFn,type:str]"
SOPS_META = "sops:\n  version: 3.8.1\n  age:\n    - recipient: age1qqq\n      enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        kg-leak-sops-ciphertext-4242\n        -----END AGE ENCRYPTED FILE-----\n"


def hostile_secrets_repo(root: Path) -> Path:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "app-secret", "namespace": "apps"},
        "stringData": {"password": PLAINTEXTS["plain"]},
        "data": {"token": base64.b64encode(PLAINTEXTS["b64"].encode()).decode()},
    }
    vars_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "vars", "namespace": "flux-system"},
        "stringData": {"db_password": PLAINTEXTS["var"]},
    }
    files = {
        "apps/secret.yaml": yaml.safe_dump(secret),
        "apps/uses-var.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: uses-var, namespace: apps}\n"
        "data:\n  DSN: 'postgres://app:${db_password}@db:5432/app'\n  BROKEN: '${db_password}: {'\n",
        # a Secret whose YAML is broken (tab indentation) right next to its value
        "apps/broken-secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: broken\nstringData:\n  password: {PLAINTEXTS['broken']}\n\tother: x\n",
        # SOPS: encrypted values, a syntax error, and SOPS metadata
        "apps/secret.sops.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-secret\n  namespace: apps\nstringData:\n"
        f"  password: {ENC}\n   bad-indent: {ENC}\n{SOPS_META}",
        "apps/ok.sops.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-ok\n  namespace: apps\nstringData:\n  password: {ENC}\n{SOPS_META}",
        # Secrets kustomize would refuse: no name; annotations of the wrong type
        "apps/noname.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{namespace: apps}}\nstringData: {{password: {PLAINTEXTS['noname']}}}\n",
        "apps/badmeta.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: bad, annotations: [x]}}\nstringData: {{password: {PLAINTEXTS['badmeta']}}}\n",
        # an explicit kustomization that fails (a missing file) next to a secretGenerator literal
        "explicit/kustomization.yaml": yaml.safe_dump(
            {
                "resources": ["missing.yaml", "secret.yaml"],
                "secretGenerator": [{"name": "gen", "literals": [f"pw={PLAINTEXTS['literal']}"]}],
            }
        ),
        "explicit/secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: explicit}}\nstringData: {{pw: {PLAINTEXTS['explicit']}}}\n",
        "clusters/test/explicit.yaml": yaml.safe_dump(
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": "explicit", "namespace": "flux-system"},
                "spec": {
                    "path": "./explicit",
                    "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                    "interval": "1m",
                },
            }
        ),
        "clusters/test/vars.yaml": yaml.safe_dump(vars_secret),
    }
    return make_repo(root, files, post_build={"substituteFrom": [{"kind": "Secret", "name": "vars"}]})


def secret_texts(repo: Path) -> set[str]:
    values = forbidden(repo) | set(PLAINTEXTS.values())
    return values | {base64.b64encode(v.encode()).decode() for v in PLAINTEXTS.values()}


def kg(*args, env=None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)


def leaks(text: str, repo: Path) -> list[str]:
    return sorted(v for v in secret_texts(repo) if v in text)


REPOS = [
    pytest.param("hostile", id="hostile-secrets"),
    pytest.param(ROOT / "examples" / "platform", id="examples/platform"),
    pytest.param(FIXTURES / "eso-vault", id="fixtures/eso-vault"),
]


@pytest.mark.parametrize("repo", REPOS)
def test_no_secret_value_in_logs_warnings_errors_or_answers(repo, cli_env, store, repo_name, tmp_path):
    if repo == "hostile":
        repo = hostile_secrets_repo(tmp_path / "repo")
    seen = []
    # logs at every verbosity, warnings, both output formats
    for args, env in (
        (["-vv", "--warnings"], None),
        (["-v", "--format", "json"], None),
        (["--warnings"], {"KG_LOG_LEVEL": "debug"}),
        ([], None),
    ):
        result = kg("load", repo, "--repo-name", repo_name, *args, env=env)
        assert result.exit_code == 0, result.output
        seen.append(result.output)
    text = "".join(seen)
    assert "kg: debug:" in text and "kg: info:" in text  # the logs really were on
    # every question, for every name in the graph that is near a secret
    names = store.query(
        "MATCH (n) WHERE n.repo = $repo AND n.kind IN ['Secret', 'Workload', 'Deployment', 'StatefulSet', 'CronJob', 'ConfigMap', "
        "'Variable', 'SecretProviderClass', 'ExternalSecret', 'SecretStore', 'SecretBackend', 'VaultPath', 'Kustomization', 'HelmRelease'] "
        "RETURN DISTINCT n.name AS name",
        {"repo": repo_name},
    )
    assert names
    answered = 0
    for question in catalogue().values():
        targets = [r["name"] for r in names] if question.takes_target else [None]
        for target in targets:
            for fmt in ("json", "table") if repo.name == "repo" else ("json",):
                result = kg("ask", question.name, *([target] if target else []), "--repo", repo_name, "--format", fmt)
                assert result.exit_code in (0, 1), result.output
                answered += result.exit_code == 0
                seen.append(result.output)
    assert answered
    assert leaks("".join(seen), repo) == []


@pytest.mark.parametrize(
    "broken", ["apps/broken-secret.yaml", "apps/noname.yaml", "apps/secret.sops.yaml", "apps/badmeta.yaml"]
)
def test_no_secret_value_in_the_error_of_a_load_that_renders_nothing(cli_env, repo_name, tmp_path, broken):
    """The root's own kustomization lists a broken Secret file: kustomize fails, nothing
    renders, and the error line quotes kustomize's message about that file."""
    repo = hostile_secrets_repo(tmp_path / "repo")
    (repo / "clusters/test/kustomization.yaml").write_text(
        yaml.safe_dump({"resources": ["flux-system", f"../../{broken}"]})
    )
    result = kg("load", repo, "--repo-name", repo_name, "-vv")
    assert result.exit_code == 1 and "no Kustomization could be rendered" in result.output, result.output
    assert leaks(result.output, repo) == []
