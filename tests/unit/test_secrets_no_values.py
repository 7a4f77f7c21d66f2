"""No secret value is ever recorded: every fixture, examples/platform and the three
corpora are loaded and every id, property, relationship key and warning is searched
for SOPS ciphertext and for the values their Secrets hold (plain and base64)."""

import base64
import binascii
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CORPORA = ("fluxcd__flux2-kustomize-helm-example", "toboshii__home-ops", "xUnholy__k8s-gitops")
# The fake plaintext values tests/fixtures put into Secrets (stringData, data, a
# secretGenerator literal, a substituteFrom Secret).
FIXTURE_PLAINTEXTS = (
    "kg-fixture-db-admin-pw-7d1e",
    "kg-fixture-smtp-pw-2a8c",
    "kg-fixture-vault-token-93ab",
    "kg-fixture-webhook-secret-c4f0",
    "kg-fixture-tls-key-51e2",
    "s3cr3t-token-never-shown",  # settings: a substituteFrom Secret's variable
)
MIN_LEN = 8  # shorter values ("true", "admin") would match ordinary text


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret_values(root: Path) -> set[str]:
    """Every value a repository puts into a Secret (manifests and secretGenerator
    literals), as written and decoded."""
    values: set[str] = set()
    for path in root.rglob("*.y*ml"):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text(errors="replace")) if isinstance(d, dict)]
        except yaml.YAMLError:
            continue
        for doc in docs:
            if doc.get("kind") == "Secret":
                for field in ("stringData", "data"):
                    for value in (doc.get(field) or {}).values() if isinstance(doc.get(field), dict) else []:
                        values.add(str(value))
                        if field == "data":
                            try:
                                values.add(base64.b64decode(str(value), validate=True).decode())
                            except (binascii.Error, UnicodeDecodeError, ValueError):
                                pass
            for generator in doc.get("secretGenerator") or [] if isinstance(doc.get("secretGenerator"), list) else []:
                for literal in (generator or {}).get("literals") or []:
                    values.add(str(literal).partition("=")[2])
    return {v for v in values if len(v) >= MIN_LEN and not v.startswith("ENC[")}


def forbidden(root: Path) -> set[str]:
    values = secret_values(root)
    return {"ENC["} | values | {b64(v) for v in values} | set(FIXTURE_PLAINTEXTS) | {b64(v) for v in FIXTURE_PLAINTEXTS}


def repos() -> list:
    out = [pytest.param(ROOT / "examples" / "platform", id="examples/platform")]
    for fixture in sorted(p for p in FIXTURES.iterdir() if (p / "clusters").is_dir()):
        out.append(pytest.param(fixture, id=f"fixtures/{fixture.name}"))
    for name in CORPORA:
        out.append(pytest.param(name, id=f"corpora/{name}"))
    return out


def test_fixture_secrets_really_hold_the_plaintexts():
    """The check below means something only if the fixtures carry these values."""
    text = "".join(p.read_text() for p in FIXTURES.rglob("*.yaml"))
    for plaintext in FIXTURE_PLAINTEXTS:
        assert plaintext in text or b64(plaintext) in text, plaintext
    found = secret_values(FIXTURES)
    assert set(FIXTURE_PLAINTEXTS) <= found


def graph_text(result) -> str:
    gd = result.graph
    return json.dumps(
        [[n.label, n.id, n.props] for n in gd.sorted_nodes()]
        + [[r.type, r.start, r.end, r.rel_key, r.props] for r in gd.sorted_rels()]
        + [str(w) for w in result.warnings],
        ensure_ascii=False,
    )


@pytest.mark.parametrize("repo", repos())
def test_no_secret_value_reaches_the_records(repo, request):
    from kg.loaders import load_repo

    if isinstance(repo, str):
        repo = request.getfixturevalue("corpora") / repo
    result = load_repo(repo)
    assert result.graph.nodes, "nothing loaded: the check would be empty"
    text = graph_text(result)
    leaked = sorted(v for v in forbidden(repo) if v in text)
    assert leaked == []


def test_settings_never_hold_a_secret_value():
    """Settings (issue 17) record raw and resolved text of fields, env values and Helm
    values: a variable from a Secret stays `${var}`, a valuesFrom Secret gives key names
    only, and the Secret's values appear nowhere in a Setting or its relationships."""
    from kg.loaders import load_repo

    fixture = FIXTURES / "settings"
    result = load_repo(fixture)
    settings = [n for n in result.graph.nodes.values() if n.label == "Setting"]
    assert {n.props["via"] for n in settings} >= {"env", "values", "parameter", "field", "args"}
    text = json.dumps([n.props for n in settings], ensure_ascii=False)
    assert sorted(v for v in forbidden(fixture) if v in text) == []
    assert "hunter2-never-shown" not in graph_text(result)  # inside the valuesFrom Secret's values.yaml
    token = next(
        n.props for n in settings if n.props["cluster"] == "production" and n.props["path"].endswith("env.API_TOKEN")
    )
    assert token["value"] == "${api_token:-none}" and token["redacted"] is True
    from_secret = [n.props for n in settings if "web-secret-values" in n.props["origin"]]
    assert from_secret and all(p["value"].startswith("<redacted") and p["redacted"] for p in from_secret)
