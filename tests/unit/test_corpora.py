"""The three public Flux repositories in ../shared/corpora, rendered like Flux.

For each corpus, the set of Flux Kustomizations in the graph and their dependsOn edges
are checked against what this test finds in the repository's YAML on its own (a small
walker that follows kustomization `resources` from each Kustomization's path), and
every warning is matched against the reviewed list of real problems in the input.
"""

import json
from functools import cache
from pathlib import Path

import pytest
import yaml

from kg.loaders import load_repo
from tests.corpus_support import CHARTS_NOT_CACHED, unreviewed_warnings

FLUXCD = "fluxcd__flux2-kustomize-helm-example"
TOBOSHII = "toboshii__home-ops"
XUNHOLY = "xUnholy__k8s-gitops"

# Each warning of a corpus must match one of these: the reviewed, real problems of its input.

EXPECTED_WARNINGS = {
    FLUXCD: [
        CHARTS_NOT_CACHED,
        r"no bootstrap GitRepository/Kustomization committed in clusters/(production|staging)/flux-system",
    ],
    TOBOSHII: [
        CHARTS_NOT_CACHED,
        # the repository names a HelmRepository it never defines
        r"node-problem-detector: chart not rendered \(source, .*deliveryhero-charts is not defined in the cluster",
        r"configMapGenerator input \S+ is missing",  # non-YAML files not copied into the corpus
        r"secretGenerator input \S+\.sops\.toml is missing",
        r"configMapGenerator remote file https://\S+ not fetched",
        r"remote resource \S+ not fetched",
        # upstream CRD repos, Flux itself: external sources, never built from this repository
        r"reads GitRepository flux-system/\S+ \(https://\S+\), which is not this repository",
    ],
    XUNHOLY: [
        CHARTS_NOT_CACHED,
        # valuesFrom names the generated ConfigMap without its hash suffix (no nameReference config)
        r"kubelet-csr-approver: chart not rendered \(values, .*ConfigMap kube-system/kubelet-csr-approver-values not found",
        # a chart in another Git repository: not fetched
        r"dex-k8s-authenticator: chart not rendered \(source, .*cannot be read \(not this repository",
        r"configMapGenerator remote file https://\S+ not fetched",
        r"remote resource https://\S+ not fetched",
    ],
}


@cache
def loaded(corpus_dir: str):
    return load_repo(Path(corpus_dir))


@pytest.fixture(params=[FLUXCD, TOBOSHII, XUNHOLY])
def corpus(request, corpora):
    path = corpora / request.param
    if not path.is_dir():
        pytest.skip(f"{path} not present")
    return request.param, path, loaded(str(path))


# -- an independent view of each repository -------------------------------------------
def yaml_docs(path: Path):
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def docs_in(directory: Path, seen: set | None = None):
    """Documents a kustomize build of `directory` would start from: the kustomization's
    resources (files and folders, recursively), or Flux's generated list."""
    seen = set() if seen is None else seen
    if directory in seen or not directory.is_dir():
        return []
    seen.add(directory)
    kfile = next(
        (directory / n for n in ("kustomization.yaml", "kustomization.yml") if (directory / n).is_file()), None
    )
    out = []
    if kfile is None:
        for child in sorted(directory.iterdir()):
            if child.is_dir():
                out += docs_in(child, seen)
            elif child.suffix in (".yaml", ".yml"):
                out += yaml_docs(child)
        return out
    for entry in (yaml.safe_load(kfile.read_text()) or {}).get("resources") or []:
        target = directory / entry
        if target.is_dir():
            out += docs_in(target, seen)
        elif target.is_file():
            out += yaml_docs(target)
    return out


def reachable_kustomizations(root: Path, start: dict, source_folder) -> dict:
    """Flux Kustomizations reachable from a root, following each one's path."""
    found, queue = {}, [start]
    while queue:
        ks = queue.pop()
        key = (ks["metadata"].get("namespace", "flux-system"), ks["metadata"]["name"])
        if key in found:
            continue
        found[key] = ks
        folder = source_folder(ks["spec"].get("sourceRef", {}))
        if folder is None:
            continue
        path = root / folder / ks["spec"].get("path", "./")
        for doc in docs_in(path):
            if doc.get("kind") == "Kustomization" and str(doc.get("apiVersion", "")).startswith("kustomize.toolkit"):
                queue.append(doc)
    return found


def expected_kustomizations(name: str, root: Path) -> dict[str, dict]:
    """cluster -> {(namespace, name): Kustomization doc}, as this test reads the repo."""
    if name == FLUXCD:
        out = {}
        for cluster in ("production", "staging"):
            docs = [d for p in sorted((root / "clusters" / cluster).glob("*.yaml")) for d in yaml_docs(p)]
            found = {
                (d["metadata"].get("namespace", "flux-system"), d["metadata"]["name"]): d
                for d in docs
                if d.get("kind") == "Kustomization"
            }
            found[("flux-system", "flux-system")] = {"spec": {}}
            out[cluster] = found
        return out
    if name == TOBOSHII:
        (start,) = [
            d for d in yaml_docs(root / "cluster/flux/flux-system/flux-cluster.yaml") if d["kind"] == "Kustomization"
        ]
        return {
            "flux-cluster": reachable_kustomizations(
                root, start, lambda ref: "" if ref.get("name") == "flux-cluster" else None
            )
        }
    (start,) = [
        d
        for d in yaml_docs(root / "kubernetes/clusters/cluster-0/flux-system/gotk-sync.yaml")
        if d["kind"] == "Kustomization"
    ]
    # the OCIRepository `cluster` is the repo's kubernetes/ folder (pushed by its CI)
    folders = {"GitRepository": "", "OCIRepository": "kubernetes"}
    return {
        "cluster-0": reachable_kustomizations(root, start, lambda ref: folders.get(ref.get("kind", "GitRepository")))
    }


# -- the checks --------------------------------------------------------------------
def test_kustomizations_and_dependencies_match_the_repository(corpus):
    name, root, result = corpus
    expected = expected_kustomizations(name, root)
    assert sorted(c.name for c in result.clusters) == sorted(expected)
    gd = result.graph
    for cluster, wanted in expected.items():
        prefix = f"{result.repo}:{cluster}/"
        in_graph = {
            (n.props["namespace"], n.props["name"]): n
            for n in gd.by_label("Kustomization")
            if n.id.startswith(prefix) and not n.props.get("missing")
        }
        assert set(in_graph) == set(wanted), cluster
        for key, doc in wanted.items():
            deps = {(d.get("namespace", key[0]), d["name"]) for d in doc["spec"].get("dependsOn", [])}
            edges = {
                (gd.nodes[r.end].props["namespace"], gd.nodes[r.end].props["name"])
                for r in gd.rels_from(in_graph[key].id, "DEPENDS_ON")
            }
            assert edges == deps, (cluster, key)


def test_every_warning_is_a_reviewed_problem_of_the_input(corpus):
    name, _, result = corpus
    assert unreviewed_warnings(result, EXPECTED_WARNINGS[name]) == []


def test_no_kustomization_fails_except_for_other_repositories(corpus):
    _, _, result = corpus
    for render in result.renders:
        for ks in render.kustomizations.values():
            assert not ks.render_error or "is not built from this repository" in ks.render_error, (
                ks.key,
                ks.render_error,
            )


def test_toboshii_substitutes_cluster_settings_and_keeps_secrets_symbolic(corpora):
    result = loaded(str(corpora / TOBOSHII))
    gd = result.graph
    nginx = gd.nodes[f"{result.repo}:flux-cluster/HelmRelease/networking/ingress-nginx"]
    values = json.loads(nginx.props["values"])
    assert values["controller"]["extraEnvs"][0]["value"] == "America/Chicago"  # ${TIMEZONE} from cluster-settings
    external_dns = gd.nodes[f"{result.repo}:flux-cluster/HelmRelease/networking/external-dns"]
    assert "${SECRET_DOMAIN}" in external_dns.props["values"]
    secret_domain = gd.nodes[f"{result.repo}:flux-cluster/Variable/SECRET_DOMAIN"]
    assert secret_domain.props["redacted"] is True and "value" not in secret_domain.props
    timezone = gd.nodes[f"{result.repo}:flux-cluster/Variable/TIMEZONE"]
    assert timezone.props["value"] == "America/Chicago"
    assert "ENC[" not in json.dumps([n.props for n in gd.nodes.values()])


def test_xunholy_oci_sources_map_to_kubernetes_folder_and_parent_patch_reaches_children(corpora):
    result = loaded(str(corpora / XUNHOLY))
    (render,) = result.renders
    assert render.source_roots["OCIRepository/flux-system/cluster"] == "kubernetes"
    oci_children = [
        ks for ks in render.kustomizations.values() if (ks.spec.get("sourceRef") or {}).get("kind") == "OCIRepository"
    ]
    assert len(oci_children) > 20
    for ks in oci_children:
        assert ks.source_dir.startswith("kubernetes/"), ks.key
    under_namespaces = [ks for ks in oci_children if ks.source_dir.startswith("kubernetes/namespaces/")]
    assert under_namespaces
    # children labelled substitution.flux/enabled=true get substituteFrom from the parent's patch
    labelled = []
    for ks in render.kustomizations.values():
        for rendered in render.kustomizations[ks.parent].objects if ks.parent else []:
            if rendered.kind == "Kustomization" and rendered.name == ks.name:
                if (
                    str((rendered.raw.get("metadata", {}).get("labels") or {}).get("substitution.flux/enabled")).lower()
                    == "true"
                ):
                    labelled.append(ks)
    assert labelled
    for ks in labelled:
        sources = {(s["kind"], s["name"]) for s in ks.spec["postBuild"]["substituteFrom"]}
        assert {("Secret", "cluster-secrets"), ("ConfigMap", "cluster-config")} <= sources, ks.key
        node = result.graph.nodes[f"{result.repo}:cluster-0/Kustomization/{ks.namespace}/{ks.name}"]
        assert {r.end.rsplit("/", 1)[1] for r in result.graph.rels_from(node.id, "SUBSTITUTES_FROM")} >= {
            "cluster-secrets",
            "cluster-config",
        }


def test_fluxcd_example_environments_differ_and_apps_wait_for_configs(corpora):
    result = loaded(str(corpora / FLUXCD))
    gd = result.graph
    prod = json.loads(gd.nodes[f"{result.repo}:production/HelmRelease/podinfo/podinfo"].props["values"])
    staging = json.loads(gd.nodes[f"{result.repo}:staging/HelmRelease/podinfo/podinfo"].props["values"])
    assert prod != staging
    for cluster in ("production", "staging"):
        apps = f"{result.repo}:{cluster}/Kustomization/flux-system/apps"
        assert [r.end for r in gd.rels_from(apps, "DEPENDS_ON")] == [
            f"{result.repo}:{cluster}/Kustomization/flux-system/infra-configs"
        ]
        # apps reads the ExternalArtifact the ArtifactGenerator assembles from apps/<cluster>
        assert gd.nodes[apps].props["source_dir"] == f"apps/{cluster}"
        (source,) = gd.rels_from(apps, "FROM_SOURCE")
        assert gd.nodes[source.end].props["kind"] == "ExternalArtifact"
        assert not gd.nodes[source.end].props.get("missing")


def test_source_files_are_repo_relative_and_exist(corpus):
    _, root, result = corpus
    for node in result.graph.nodes.values():
        source_file = node.props.get("source_file")
        if not source_file or node.props.get("missing") or node.props.get("assumed") or "//" in source_file:
            continue
        assert (root / source_file).is_file(), (node.id, source_file)
