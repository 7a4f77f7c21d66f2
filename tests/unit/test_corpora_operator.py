"""The two Flux Operator corpora (no gotk-sync.yaml: a FluxInstance set in a
`flux-instance` HelmRelease starts each cluster), rendered like Flux.

For each cluster, the Flux Kustomizations (namespace/name), their dependsOn edges and
the HelmReleases (namespace/name, chart, chart source) in the graph are checked against
what this test finds on its own: it reads the FluxInstance's `instance.sync.path` from
the HelmRelease values and walks the repository's YAML from there (kustomization
`resources`, kustomize `namespace:`, Flux `targetNamespace`, `${VAR}` from the cluster's
cluster-info ConfigMap and each Kustomization's `postBuild.substitute`).
"""

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from kg.loaders import load_repo
from tests.corpus_support import CHARTS_NOT_CACHED, unreviewed_warnings

JORYIRVING = "joryirving__home-ops"
BUROA = "buroa__k8s-gitops"
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?=([^}]*))?\}")


EXPECTED_WARNINGS = {
    JORYIRVING: [
        CHARTS_NOT_CACHED,
        r"configMapGenerator input \S+ is missing",  # non-YAML files not copied into the corpus
        r"reads GitRepository games/fenrir \(https://github.com/\S+\), which is not this repository",
        # a Secret the cluster gets from 1Password at run time, not from the repository
        r"substituteFrom Secret self-hosted/acars\S* not found in this cluster",
    ],
    BUROA: [CHARTS_NOT_CACHED, r"configMapGenerator input \S+ is missing"],
}


@cache
def loaded(corpus_dir: str):
    return load_repo(Path(corpus_dir))


@pytest.fixture(params=[JORYIRVING, BUROA])
def corpus(request, corpora):
    path = corpora / request.param
    if not path.is_dir():
        pytest.skip(f"{path} not present")
    return request.param, path, loaded(str(path))


# -- an independent reading of the repository ---------------------------------------
class RedefinedAnchorLoader(yaml.SafeLoader):
    """Go's YAML (kustomize, Flux) lets an anchor be defined again; the later one wins."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if not isinstance(event, yaml.AliasEvent) and getattr(event, "anchor", None) is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)


def yaml_docs(path: Path, variables: dict[str, str]) -> list[dict]:
    text = path.read_text()
    text = VAR.sub(lambda m: variables.get(m.group(1), m.group(2) or m.group(0)), text)
    try:
        return [d for d in yaml.load_all(text, Loader=RedefinedAnchorLoader) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def docs_in(directory: Path, variables: dict[str, str], namespace: str | None = None, seen=None) -> list[dict]:
    """Documents a kustomize build of `directory` yields, with the outermost kustomize
    `namespace:` applied (Flux's generated kustomization when there is none)."""
    seen = set() if seen is None else seen
    if directory in seen or not directory.is_dir():
        return []
    seen.add(directory)
    kfile = next(
        (directory / n for n in ("kustomization.yaml", "kustomization.yml") if (directory / n).is_file()), None
    )
    out: list[dict] = []
    if kfile is None:
        for child in sorted(directory.iterdir()):
            if child.is_dir():
                out += docs_in(child, variables, namespace, seen)
            elif child.suffix in (".yaml", ".yml"):
                out += yaml_docs(child, variables)
    else:
        content = yaml.safe_load(kfile.read_text()) or {}
        inner = namespace or content.get("namespace")
        for entry in content.get("resources") or []:
            target = directory / entry
            if target.is_dir():
                out += docs_in(target, variables, inner, seen)
            elif target.is_file():
                out += yaml_docs(target, variables)
        if content.get("namespace") and targets_namespace_from_namespace(directory, content):
            for doc in out:
                if doc.get("kind") == "Kustomization" and str(doc.get("apiVersion", "")).startswith(
                    "kustomize.toolkit"
                ):
                    doc["spec"]["targetNamespace"] = content["namespace"]
        namespace = inner
    if namespace:
        for doc in out:
            if doc.get("kind") != "Namespace":
                doc.setdefault("metadata", {})["namespace"] = namespace
    return out


def targets_namespace_from_namespace(directory: Path, content: dict) -> bool:
    """joryirving's `replacements:` file: every Flux Kustomization's spec.targetNamespace
    from the Namespace object's name (the component's Namespace, named by `namespace:`)."""
    for entry in content.get("replacements") or []:
        rules = yaml.safe_load((directory / entry["path"]).read_text()) if "path" in entry else [entry]
        for rule in rules:
            if rule["source"].get("kind") == "Namespace" and any(
                "spec.targetNamespace" in t.get("fieldPaths", []) for t in rule.get("targets", [])
            ):
                return True
    return False


def flux_instance_sync(root: Path, helmrelease: str) -> dict:
    (release,) = [d for d in yaml_docs(root / helmrelease, {}) if d.get("kind") == "HelmRelease"]
    return release["spec"]["values"]["instance"]["sync"]


def walk(root: Path, sync_path: str, cluster_vars: dict[str, str]):
    """(Kustomizations, HelmReleases) reachable from the sync path, keyed (namespace, name)."""
    kustomizations: dict = {("flux-system", "flux-system"): {"spec": {}}}
    releases: dict = {}
    queue = [(docs_in(root / sync_path.lstrip("./"), cluster_vars), None)]
    while queue:
        docs, target_ns = queue.pop()
        for doc in docs:
            group = str(doc.get("apiVersion", "")).split("/")[0]
            namespace = target_ns or doc["metadata"].get("namespace") or "flux-system"
            if doc.get("kind") == "HelmRelease" and group == "helm.toolkit.fluxcd.io":
                releases[(namespace, doc["metadata"]["name"])] = doc
            if doc.get("kind") != "Kustomization" or group != "kustomize.toolkit.fluxcd.io":
                continue
            key = (namespace, doc["metadata"]["name"])
            if key in kustomizations:
                continue
            kustomizations[key] = doc
            spec = doc["spec"]
            if (spec.get("sourceRef") or {}).get("name") != "flux-system":
                continue  # another repository
            variables = {**cluster_vars, **((spec.get("postBuild") or {}).get("substitute") or {})}
            variables = {k: str(v) for k, v in variables.items()}
            path = VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), spec.get("path", "./"))  # noqa: B023 (called at once, in this iteration)
            queue.append((docs_in(root / path.lstrip("./"), variables), spec.get("targetNamespace")))
    return kustomizations, releases


def expected(name: str, root: Path) -> dict[str, tuple[dict, dict]]:
    """cluster -> (Kustomizations, HelmReleases), as this test reads the repository."""
    if name == JORYIRVING:
        out = {}
        for cluster in ("main", "test", "utility"):
            sync = flux_instance_sync(root, f"kubernetes/clusters/{cluster}/flux-instance/helmrelease.yaml")
            (info,) = [
                d for d in yaml_docs(root / sync["path"] / "cluster-info.yaml", {}) if d.get("kind") == "ConfigMap"
            ]
            out[cluster] = walk(root, sync["path"], {k: str(v) for k, v in info["data"].items()})
        return out
    sync = flux_instance_sync(root, "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml")
    return {BUROA: walk(root, sync["path"], {})}


def in_graph(result, cluster: str, label: str) -> dict:
    prefix = f"{result.repo}:{cluster}/"
    return {
        (n.props["namespace"], n.props["name"]): n
        for n in result.graph.by_label(label)
        if n.id.startswith(prefix) and not n.props.get("missing")
    }


# -- the checks ------------------------------------------------------------------------
def test_kustomizations_dependencies_and_helmreleases_match_the_repository(corpus):
    name, root, result = corpus
    wanted = expected(name, root)
    assert sorted(c.name for c in result.clusters) == sorted(wanted)
    assert {c.entry_point for c in result.clusters} == {"FluxInstance in HelmRelease"}
    gd = result.graph
    for cluster, (kustomizations, releases) in wanted.items():
        graph_ks = in_graph(result, cluster, "Kustomization")
        assert set(graph_ks) == set(kustomizations), cluster
        assert len(graph_ks) > 20
        for key, doc in kustomizations.items():
            deps = {(d.get("namespace", key[0]), d["name"]) for d in doc["spec"].get("dependsOn", [])}
            edges = {
                (gd.nodes[r.end].props["namespace"], gd.nodes[r.end].props["name"])
                for r in gd.rels_from(graph_ks[key].id, "DEPENDS_ON")
            }
            assert edges == deps, (cluster, key)
        graph_hr = in_graph(result, cluster, "HelmRelease")
        assert set(graph_hr) == set(releases), cluster
        for key, doc in releases.items():
            spec = doc["spec"]
            ref = spec.get("chartRef") or spec["chart"]["spec"]["sourceRef"]
            chart = spec["chartRef"]["name"] if "chartRef" in spec else spec["chart"]["spec"]["chart"]
            props = graph_hr[key].props
            assert (props["chart"], props["chart_source_kind"], props["chart_source"]) == (
                chart,
                ref["kind"],
                ref["name"],
            ), key
            (source,) = gd.rels_from(graph_hr[key].id, "FROM_SOURCE")
            assert gd.nodes[source.end].props["namespace"] == ref.get("namespace", key[0]), key


def test_the_synthesized_root_comes_from_the_flux_instance(corpus):
    name, root, result = corpus
    gd = result.graph
    for summary in result.clusters:
        root_id = f"{result.repo}:{summary.name}/Kustomization/flux-system/flux-system"
        props = gd.nodes[root_id].props
        assert props["synthesized_by"] == "FluxInstance in HelmRelease"
        assert props["source_file"] == summary.entry_file and (root / summary.entry_file).is_file()
        source = gd.nodes[f"{result.repo}:{summary.name}/GitRepository/flux-system/flux-system"].props
        assert source["assumed"] is True and source["url"].startswith("https://github.com/")
        # the cluster starts at the synthesized root
        (rel,) = gd.rels_from(f"{result.repo}:{summary.name}", "ROOT")
        assert rel.end == root_id


def test_every_warning_is_a_reviewed_problem_of_the_input(corpus):
    name, _, result = corpus
    assert unreviewed_warnings(result, EXPECTED_WARNINGS[name]) == []


def test_joryirving_clusters_are_separate_and_substitute_their_own_cluster_info(corpora):
    root = corpora / JORYIRVING
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    result = loaded(str(root))
    gd = result.graph
    for cluster in ("main", "test", "utility"):
        variable = gd.nodes[f"{result.repo}:{cluster}/Variable/CLUSTER"].props
        assert variable["value"] == cluster
        # ${CLUSTER} in spec.path resolved per cluster: cilium is built from this cluster's own folder
        if cluster != "main":
            cilium = in_graph(result, cluster, "Kustomization")[("kube-system", "cilium-config")].props
            assert cilium["source_dir"] == f"kubernetes/apps/{cluster}/kube-system/cilium"
    # nothing of one cluster is scoped to another
    for summary in result.clusters:
        prefix = f"{result.repo}:{summary.name}/"
        nodes = [n for n in gd.nodes.values() if n.id.startswith(prefix)]
        assert nodes and all(n.props.get("cluster") == summary.name for n in nodes)


def test_buroa_cross_namespace_chart_ref_reaches_the_shared_app_template(corpora):
    root = corpora / BUROA
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    result = loaded(str(root))
    gd = result.graph
    shared = f"{result.repo}:{BUROA}/OCIRepository/flux-system/app-template"
    users = [r.start for r in gd.rels.values() if r.type == "FROM_SOURCE" and r.end == shared]
    assert len(users) >= 20
    assert not gd.nodes[shared].props.get("missing")
    assert (
        all(gd.nodes[u].props["namespace"] != "flux-system" for u in users[:5])
        or len({gd.nodes[u].props["namespace"] for u in users}) > 3
    )
