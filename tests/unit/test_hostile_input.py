"""Hostile and broken input (issue 7, point 3), property-based: hypothesis writes
malformed YAML documents and odd Kubernetes objects (missing metadata, wrong types,
huge strings, deep nesting, unicode names) into an otherwise valid Flux repository.
Whatever it writes, the loader does not crash, the rest of the repository loads, and
no document is dropped silently: each hostile file is either loaded or named by a
warning. KG_HYPOTHESIS_EXAMPLES raises the number of examples (default 25, CI)."""

import copy
import os
import sys
from pathlib import Path

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_messy_input import make_repo  # noqa: E402

from kg.loaders import load_repo  # noqa: E402

EXAMPLES = int(os.environ.get("KG_HYPOTHESIS_EXAMPLES", "25"))

# A second Flux Kustomization builds ./hostile (a generated kustomization, the common
# layout); `apps` (from make_repo) holds the good ConfigMap that must always load.
HOSTILE_KS = {
    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
    "kind": "Kustomization",
    "metadata": {"name": "hostile", "namespace": "flux-system"},
    "spec": {
        "path": "./hostile",
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        "interval": "1m",
        "prune": True,
        "postBuild": {"substitute": {"VAR": "value"}},
    },
}

BASES = [
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "apps"},
        "data": {"KEY": "v", "URL": "http://svc.apps.svc:80"},
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "apps"},
        "stringData": {"password": "not-a-real-one"},
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "svc", "namespace": "apps"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    },
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}},
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx",
                            "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "KEY"}}}],
                            "envFrom": [{"configMapRef": {"name": "cm"}}, {"secretRef": {"name": "s"}}],
                            "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                        }
                    ],
                    "volumes": [
                        {
                            "name": "v",
                            "csi": {
                                "driver": "secrets-store.csi.k8s.io",
                                "volumeAttributes": {"secretProviderClass": "spc"},
                            },
                        }
                    ],
                },
            },
        },
    },
    {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "job", "namespace": "apps"},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "j", "image": "busybox"}]}}}},
        },
    },
    {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "hr", "namespace": "apps"},
        "spec": {
            "chart": {"spec": {"chart": "c", "sourceRef": {"kind": "HelmRepository", "name": "repo"}}},
            "values": {"a": 1},
            "valuesFrom": [{"kind": "ConfigMap", "name": "cm"}],
            "dependsOn": [{"name": "other"}],
        },
    },
    {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": "spc", "namespace": "apps"},
        "spec": {
            "provider": "vault",
            "parameters": {
                "vaultAddress": "http://vault.vault.svc:8200",
                "roleName": "r",
                "objects": "- objectName: a\n  secretPath: kv/data/a\n  secretKey: k\n",
            },
            "secretObjects": [{"secretName": "synced", "type": "Opaque", "data": [{"key": "a", "objectName": "a"}]}],
        },
    },
    {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": {"name": "es", "namespace": "apps"},
        "spec": {
            "secretStoreRef": {"name": "store", "kind": "SecretStore"},
            "target": {"name": "t"},
            "data": [{"secretKey": "k", "remoteRef": {"key": "kv/a", "property": "p"}}],
        },
    },
    {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "child", "namespace": "flux-system"},
        "spec": {
            "path": "./child",
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "targetNamespace": "apps",
            "dependsOn": [{"name": "apps"}],
            "patches": [
                {"patch": "- op: add\n  path: /metadata/labels/x\n  value: y\n", "target": {"kind": "ConfigMap"}}
            ],
            "postBuild": {
                "substitute": {"A": "b"},
                "substituteFrom": [{"kind": "ConfigMap", "name": "cm", "optional": True}],
            },
            "images": [{"name": "nginx", "newTag": "1"}],
            "commonMetadata": {"labels": {"team": "x"}},
        },
    },
    {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "SecretStore",
        "metadata": {"name": "store", "namespace": "apps"},
        "spec": {
            "provider": {
                "vault": {
                    "server": "http://vault.vault.svc:8200",
                    "path": "kv",
                    "version": "v2",
                    "auth": {"tokenSecretRef": {"name": "vault-token", "key": "token"}},
                }
            }
        },
    },
    {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "other", "namespace": "flux-system"},
        "spec": {"url": "https://example.com/x.git", "ref": {"branch": "main"}},
    },
]
MODELLED_KINDS = {b["kind"] for b in BASES}

unicode_text = st.text(min_size=1, max_size=30)
odd_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    unicode_text,
    st.sampled_from(["", "${VAR}", "${UNDEFINED}", "$${ESC}", "名前", "ü-ñ✓", "a/b", "../../etc/passwd", "x" * 70000]),
)
odd_value = st.recursive(
    odd_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


# every path in the base objects, as a list of keys/indexes
def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def odd_object(draw):
    """A modelled object with 1-3 fields replaced by odd values or deleted."""
    base = draw(st.sampled_from(BASES))
    paths = [p for p in _paths(base) if p]
    obj = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        delete = draw(st.booleans())
        value = None if delete else draw(odd_value)
        try:
            target = obj
            for key in path[:-1]:
                target = target[key]
            if delete:
                del target[path[-1]]
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed or replaced this path
    return yaml.safe_dump(obj, allow_unicode=draw(st.booleans()))


def deep(depth: int, kind: str) -> str:
    opening, closing = ("[", "]") if kind == "list" else ("{a: ", "}")
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep, namespace: apps}}\ndata:\n  x: '1'\nspec: {opening * depth}1{closing * depth}\n"


malformed_yaml = st.one_of(
    st.text(alphabet=":-[]{}&*!|>'\"%@`#,? \n\tab\\", max_size=120),
    st.text(max_size=80),
    st.sampled_from(
        [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tab\n\tbad: indent\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
            "key: *undefined_alias\n",
            "a: &a [*a]\n",
            "- just\n- a\n- list\n",
            "42\n",
            "!!python/object/apply:os.system ['true']\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup, name: dup2, namespace: apps}\n",
            "\x00\x01binary",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: sops, namespace: apps}\ndata:\n  password: ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]\n    bad: indent\nsops:\n  version: 3.7.3\n",
        ]
    ),
)
document = st.one_of(
    odd_object(),
    malformed_yaml,
    st.builds(deep, st.integers(50, 3000), st.sampled_from(["list", "map"])),
)
hostile_files = st.lists(st.lists(document, min_size=1, max_size=3).map("\n---\n".join), min_size=1, max_size=4)


def _loaded_files(result) -> set[str]:
    return {n.props.get("source_file") for n in result.graph.nodes.values()}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("CI") is not None or EXAMPLES <= 25,
    suppress_health_check=list(HealthCheck),
)
@given(files=hostile_files)
def test_hostile_documents_never_crash_and_are_never_dropped_silently(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("hostile")
    written = {f"hostile/f{i}.yaml": text for i, text in enumerate(files)}
    written["clusters/test/hostile.yaml"] = yaml.safe_dump(HOSTILE_KS)
    written["child/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: child-cm}\ndata: {K: v}\n"
    result = load_repo(make_repo(root, written))  # must not raise
    # the rest of the repository loads
    assert f"{result.repo}:test/ConfigMap/apps/good" in result.graph.nodes
    warned = {w.file for w in result.warnings}
    loaded = _loaded_files(result)
    hostile_ks = result.graph.nodes[f"{result.repo}:test/Kustomization/flux-system/hostile"]
    error = hostile_ks.props.get("render_error")
    if error:
        # kg leaves out each file kustomize cannot build alone; what remains is two files
        # defining one object, which fails the Kustomization in Flux too: reported as such
        assert "already registered id" in error, error
        assert any(
            w.file == "clusters/test/hostile.yaml" and "already registered id" in w.reason for w in result.warnings
        )
        warned |= set(written)
    for rel in written:
        if not rel.startswith("hostile/") or "child/cm.yaml" in rel:
            continue
        if rel in loaded or rel in warned:
            continue
        # neither loaded nor reported: only acceptable for well-formed objects of kinds kg does not model
        docs = [d for d in yaml.safe_load_all(written[rel]) if d is not None]
        assert all(
            isinstance(d, dict) and isinstance(d.get("kind"), str) and d.get("kind") not in MODELLED_KINDS for d in docs
        ), (rel, written[rel][:500])
    # warnings name files of the repository, never a path outside it
    assert all(not w.file.startswith(("/", "..")) for w in result.warnings)


@pytest.mark.parametrize(
    "bad",
    [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup, name: dup2, namespace: apps}\n",  # kustomize refuses duplicate keys
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: apps}\ndata: {a: b}\n",  # no name
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: [x]}\n",  # kustomize panics on this
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: apps}\nspec: {template: {spec: {containers: 5}}}\n",
        deep(150, "map"),
    ],
)
def test_a_file_kustomize_cannot_build_is_left_out_with_one_warning(tmp_path, bad):
    result = load_repo(make_repo(tmp_path, {"apps/bad.yaml": bad}))
    assert f"{result.repo}:test/ConfigMap/apps/good" in result.graph.nodes
    (warning,) = [w for w in result.warnings if w.file == "apps/bad.yaml"]
    assert "left out" in warning.reason
    apps = result.graph.nodes[f"{result.repo}:test/Kustomization/flux-system/apps"]
    assert not apps.props.get("render_error")
