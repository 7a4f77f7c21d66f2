"""Secrets in the public Flux repositories (skipped when ../shared/corpora is absent)."""

import pytest
import yaml


@pytest.fixture(scope="module")
def toboshii(corpora):
    from kg.loaders import load_repo

    return load_repo(corpora / "toboshii__home-ops")


def _documents(root):
    for path in sorted(root.rglob("*.yaml")):
        try:
            yield from (d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict))
        except yaml.YAMLError:
            continue


def test_toboshii_cluster_secrets_is_a_sops_secret_with_key_names_only(corpora, toboshii):
    written = yaml.safe_load((corpora / "toboshii__home-ops/cluster/config/cluster-secrets.sops.yaml").read_text())
    (secret,) = [n for n in toboshii.graph.find("Secret", "cluster-secrets") if n.props["namespace"] == "flux-system"]
    assert secret.props["origin"] == "sops"
    assert secret.props["keys"] == sorted(written["stringData"])
    assert "sops" not in secret.props["keys"]
    assert not secret.props.get("missing")


def test_toboshii_kustomizations_substituting_from_cluster_secrets_are_linked(corpora, toboshii):
    # read from the repository's own YAML, independently of the loader
    declared = {
        d["metadata"]["name"]
        for d in _documents(corpora / "toboshii__home-ops")
        if d.get("kind") == "Kustomization"
        and str(d.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/")
        and any(
            isinstance(ref, dict) and ref.get("kind") == "Secret" and ref.get("name") == "cluster-secrets"
            for ref in ((d.get("spec") or {}).get("postBuild") or {}).get("substituteFrom") or []
        )
    }
    assert declared == {"apps", "core"}
    gd = toboshii.graph
    (secret,) = [n for n in gd.find("Secret", "cluster-secrets") if n.props["namespace"] == "flux-system"]
    linked = {gd.nodes[r.start].props["name"] for r in gd.rels_to(secret.id, "SUBSTITUTES_FROM")}
    assert linked == declared
    # the variables it defines are redacted, never valued
    variables = [gd.nodes[r.start] for r in gd.rels_to(secret.id, "DEFINED_BY")]
    assert variables and all(v.props["redacted"] is True and "value" not in v.props for v in variables)
