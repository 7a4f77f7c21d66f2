"""The graph schema: the single source of truth for labels, relationship types and
their documented properties.

The loaders emit records that name these labels and types; the store generates its
constraints and write statements from them; docs/schema.md describes them. Nothing
here knows about YAML or about a database driver.
"""

from __future__ import annotations

from dataclasses import dataclass

# Properties every node carries (where they apply).
COMMON_NODE_PROPERTIES = (
    "id",  # unique across repos and clusters, stable across loads
    "name",  # caption: the object's name
    "kind",  # the Kubernetes/Flux kind (or the node's own kind for derived nodes)
    "repo",  # repository name the node was loaded from
    "cluster",  # cluster the node belongs to
    "namespace",  # Kubernetes namespace, where it applies
    "source_file",  # repo-relative file the object came from
    "load_tag",  # tag of the load that last wrote the node
    "missing",  # true for a placeholder: referenced but not defined in the repo
)


@dataclass(frozen=True)
class NodeType:
    label: str
    doc: str
    properties: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelType:
    type: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    doc: str
    properties: tuple[str, ...] = ()


NODE_TYPES: dict[str, NodeType] = {
    t.label: t
    for t in (
        NodeType(
            "Repo",
            "A Flux GitOps repository that was loaded (`path`: as given to kg load, on that machine; `git_subdir`: "
            "its folder relative to the top of its git checkout; `git_remote`: the checkout's remote URL without "
            "credentials).",
            ("path", "git_revision", "git_commit_time", "loaded_at", "git_subdir", "git_remote"),
        ),
        NodeType(
            "Cluster",
            "A cluster entry point (a root source + Kustomization); `entry_point`: how it was found "
            "(bootstrap file, FluxInstance, FluxInstance in HelmRelease, --entry, fallback, ...).",
            ("path", "entry_point"),
        ),
        NodeType(
            "Source",
            "A Flux source: GitRepository, OCIRepository, HelmRepository or Bucket (`kind`).",
            ("url", "ref", "source_type", "interval", "maps_to", "assumed", "synthesized_by"),
        ),
        NodeType(
            "Kustomization",
            "A Flux Kustomization (kustomize.toolkit.fluxcd.io); `overlay`: the spec fields that change its build "
            "(patches, images, components, namePrefix/nameSuffix, commonMetadata) as JSON; `substitute`: its inline "
            "postBuild.substitute as JSON.",
            (
                "path",
                "source_dir",
                "root",
                "interval",
                "prune",
                "suspend",
                "wait",
                "timeout",
                "target_namespace",
                "source_kind",
                "source_name",
                "depends_on",
                "substitute_from",
                "unresolved_vars",
                "render_error",
                "external_source",
                "resources",
                "overlay",
                "substitute",
                "synthesized_by",
                "dependency_cycle",
                "tree_depth",
            ),
        ),
        NodeType(
            "HelmRelease",
            "A Flux HelmRelease; its chart rendered with helm (what it makes hangs below it: MANAGES), "
            "else `render_error` says why and the release stands for what it deploys.",
            (
                "chart",
                "chart_version",
                "chart_source",
                "chart_source_kind",
                "release_name",
                "target_namespace",
                "storage_namespace",
                "deploys_to",
                "interval",
                "suspend",
                "depends_on",
                "values",
                "rendered_chart",
                "rendered_objects",
                "render_error",
                "dependency_cycle",
                "tree_depth",
            ),
        ),
        NodeType(
            "ResourceSet",
            "A Flux Operator ResourceSet: the objects it generates from its inputs hang below it (MANAGES).",
            ("inputs", "inputs_from", "generated", "tree_depth"),
        ),
        NodeType(
            "Namespace", "A Kubernetes namespace (`declared`: a Namespace object exists in the repo).", ("declared",)
        ),
        NodeType(
            "Workload",
            "Deployment, StatefulSet, DaemonSet, CronJob or Job (`kind`). Per container (`container: ...`): "
            "`container_resources` (requests and limits), `env` (literal values and where valueFrom reads), "
            "`probes` (liveness, readiness, startup): what a change review compares field by field.",
            (
                "images",
                "containers",
                "replicas",
                "container_resources",
                "env",
                "probes",
                "schedule",
                "app",
                "service",
                "description",
                "pod_labels",
                "label_selector",
                "service_account",
            ),
        ),
        NodeType("Service", "A Kubernetes Service.", ("selector", "ports", "service_type")),
        NodeType(
            "ConfigMap",
            "A ConfigMap; generated ones keep their logical name and the hashed `generated_name`; `generated_by`: "
            "the app.kubernetes.io/managed-by tool, else kustomization (a generator) or manifest.",
            ("generated_name", "generated_by", "generator", "keys"),
        ),
        NodeType(
            "ConfigKey",
            "One key of a ConfigMap with its raw value (as in git) and its value after substitution.",
            ("key", "configmap", "value_raw", "value", "binary", "variables", "unresolved_vars", "redacted_vars"),
        ),
        NodeType(
            "Secret",
            "A Kubernetes Secret: names and key names only, never values. `origin`: sops, secretGenerator, manifest, "
            "`SecretProviderClass <name>`, `ExternalSecret <name>`, or `reference: ...` (only named, e.g. by valuesFrom).",
            ("keys", "origin", "generated_name", "secret_type"),
        ),
        NodeType(
            "SecretProviderClass",
            "A Secrets Store CSI SecretProviderClass.",
            (
                "provider",
                "vault_address",
                "vault_address_raw",
                "vault_role",
                "vault_mount_path",
                "vault_mount_path_raw",
                "vault_namespace",
                "object_names",
            ),
        ),
        NodeType(
            "VaultPath",
            "A secret location on one Vault server: `path` is `mount/path` without the KV v2 `data/` segment "
            "(docs/secrets.md), `api_path` the HTTP API form.",
            ("path", "api_path", "mount", "kv_version", "vault_namespace", "backend"),
        ),
        NodeType(
            "ExternalSecret",
            "An External Secrets Operator ExternalSecret; `remote_keys` names what it reads (never values).",
            ("target", "store", "store_kind", "refresh_interval", "remote_keys"),
        ),
        NodeType(
            "SecretStore",
            "An ESO SecretStore or ClusterSecretStore (`kind`).",
            (
                "provider",
                "server",
                "server_raw",
                "mount",
                "kv_version",
                "vault_namespace",
                "vault_role",
                "vault_auth_mount_path",
                "auth_method",
            ),
        ),
        NodeType(
            "SecretBackend",
            "A secret server, e.g. the Vault an SPC or store talks to.",
            ("address", "service", "service_namespace", "backend_type"),
        ),
        NodeType(
            "Variable",
            "A post-build substitution variable, per cluster.",
            ("value", "defined_in", "redacted"),
        ),
        NodeType(
            "Setting",
            "One effective setting of an object, per cluster (`name`: its last key): a field whose text held "
            "`${var}`, an inline env value, a SecretProviderClass parameter, or one value a HelmRelease gives its "
            "chart (`path` is then the dotted values path). `object`: Kind/namespace/name holding it; `raw`: as "
            "written (before substitution); `value`: as applied (a Secret-sourced variable stays `${var}`, a value "
            "from a Secret is `<redacted ...>`); `origin`: where it came from; `via`: env, args, field, parameter, "
            "values.",
            ("object", "path", "raw", "value", "origin", "via", "variables", "redacted"),
        ),
    )
}

REL_TYPES: dict[str, RelType] = {
    r.type: r
    for r in (
        RelType("ROOT", ("Cluster",), ("Kustomization",), "The cluster's root (flux-system) Kustomization."),
        RelType("HAS_CLUSTER", ("Repo",), ("Cluster",), "A repository holds a cluster entry point."),
        RelType(
            "MANAGES",
            ("Kustomization", "ResourceSet", "HelmRelease"),
            tuple(NODE_TYPES),
            "A Kustomization applies the object (it is in its build output); a ResourceSet generated it; "
            "a HelmRelease's chart renders it.",
        ),
        RelType(
            "DEPENDS_ON",
            ("Kustomization", "HelmRelease"),
            ("Kustomization", "HelmRelease"),
            "spec.dependsOn: the dependent waits for the dependency.",
        ),
        RelType(
            "WAITS_ON",
            ("Kustomization", "HelmRelease", "ResourceSet"),
            ("Kustomization", "HelmRelease", "ResourceSet"),
            "Derived at load: the dependsOn closure. The object waits on the other through a chain of "
            "DEPENDS_ON of `hops` steps, the fewest (up to 20); every Kustomization, HelmRelease and ResourceSet "
            "also waits on itself (`hops` 0). Questions look it up instead of walking DEPENDS_ON.",
            ("hops",),
        ),
        RelType(
            "NESTS",
            ("Kustomization", "ResourceSet", "HelmRelease"),
            ("Kustomization", "ResourceSet", "HelmRelease"),
            "Derived at load: the MANAGES closure among what applies objects. The object applies the other "
            "(itself a Kustomization, ResourceSet or HelmRelease that applies objects) through `hops` MANAGES "
            "steps, the fewest (up to 20); each also nests itself (`hops` 0). Questions look it up instead of "
            "walking MANAGES.",
            ("hops",),
        ),
        RelType(
            "FROM_SOURCE",
            ("Kustomization", "HelmRelease"),
            ("Source",),
            "sourceRef / chart sourceRef / chartRef.",
        ),
        RelType("IN_NAMESPACE", tuple(NODE_TYPES), ("Namespace",), "The object lives in the namespace."),
        RelType(
            "MOUNTS",
            ("Workload",),
            ("SecretProviderClass",),
            "A pod volume with the secrets-store CSI driver names the SPC.",
            ("mount_path", "volume"),
        ),
        RelType(
            "USES",
            ("Workload", "SecretStore"),
            ("ConfigMap", "Secret"),
            "envFrom, env valueFrom, volumes or imagePullSecrets reference it (a store: its auth credentials).",
            ("via", "keys", "env", "volume", "mount_path"),
        ),
        RelType(
            "READS_KEY", ("Workload",), ("ConfigKey",), "The workload reads this key (env or envFrom).", ("env", "via")
        ),
        RelType("HAS_KEY", ("ConfigMap",), ("ConfigKey",), "A key of the ConfigMap."),
        RelType(
            "FETCHES",
            ("SecretProviderClass", "ExternalSecret"),
            ("VaultPath",),
            "Reads a secret from that Vault location (`key`: the secret's key or ESO property).",
            ("object_name", "key", "via", "match"),
        ),
        RelType(
            "BACKED_BY",
            ("SecretProviderClass", "SecretStore", "VaultPath"),
            ("SecretBackend",),
            "Talks to that secret server (a VaultPath: lives on it).",
        ),
        RelType(
            "SYNCS",
            ("SecretProviderClass", "ExternalSecret"),
            ("Secret",),
            "Creates/updates that Kubernetes Secret (`object_names`: the SPC objects it carries).",
            ("object_names",),
        ),
        RelType("VIA", ("ExternalSecret",), ("SecretStore",), "secretStoreRef."),
        RelType(
            "SUBSTITUTES_FROM",
            ("Kustomization",),
            ("ConfigMap", "Secret"),
            "postBuild.substituteFrom.",
            ("optional",),
        ),
        RelType(
            "HAS_SETTING",
            (
                "Kustomization",
                "HelmRelease",
                "ResourceSet",
                "Workload",
                "Service",
                "SecretProviderClass",
                "ExternalSecret",
                "SecretStore",
                "Source",
            ),
            ("Setting",),
            "A setting of the object (of an object kg does not model: on the Kustomization, HelmRelease or "
            "ResourceSet applying it; `object` on the Setting names it).",
        ),
        RelType(
            "USES_VAR",
            ("ConfigKey", "Kustomization", "Setting"),
            ("Variable",),
            "Its value references ${var}; `origin`: where the substituted value came from for it.",
            ("origin", "redacted"),
        ),
        RelType(
            "DEFINED_BY",
            ("Variable",),
            ("ConfigKey", "Secret", "Kustomization"),
            "Where the variable's value comes from.",
        ),
        RelType("VALUES_FROM", ("HelmRelease",), ("ConfigMap", "Secret"), "spec.valuesFrom.", ("values_key",)),
        RelType("SELECTS", ("Service",), ("Workload",), "The Service's selector matches the pod labels."),
        RelType(
            "CALLS",
            ("Workload", "ConfigKey", "SecretBackend", "HelmRelease"),
            ("Service", "HelmRelease"),
            "An in-cluster address in its configuration (`via`: the env var, key, container arg or Helm "
            "values path; a chart's values naming its own Services do not count) names the Service; a "
            "HelmRelease when its chart was not rendered and its release would make that Service (`inferred`).",
            ("via", "inferred", "service"),
        ),
        RelType(
            "SHIPS_TO",
            ("ConfigKey", "HelmRelease"),
            ("Service", "HelmRelease"),
            "A collector's configuration (an Alloy file in a ConfigMap key, or a chart's values) sends a "
            "`signal` (logs, metrics, traces) to the Service at `url` (a HelmRelease whose chart would make it: "
            "`inferred`), as `tenant` in `tenant_header`, with `labels` (names; external labels name=value), "
            "fed by `sources`; `component` names the writer.",
            ("signal", "component", "url", "tenant", "tenant_header", "labels", "sources", "inferred", "service"),
        ),
        RelType(
            "SERVED_BY",
            ("SecretBackend",),
            ("HelmRelease", "Service", "Workload"),
            "The in-cluster release or Service that serves the backend's address.",
        ),
    )
}


# The live status layer (`kg status load`): what a cluster runs, from `kubectl get -o json`.
# Its nodes have no `repo` (a repository load never sweeps them: `status_repo` names it) and
# are replaced, per repository and cluster, only by the next status load; STATUS_OF starts at them, so a repository reload
# keeps them attached to the nodes that still exist. Added after the repository labels:
# MANAGES and IN_NAMESPACE above take any repository label, not these.
REPO_LABELS: tuple[str, ...] = tuple(NODE_TYPES)
STATUS_PROPERTIES = (
    "status_repo", "status_kind", "status_ready", "status_reason", "status_message", "status_since", "status_suspended",
    "status_applied_revision", "status_attempted_revision", "status_at_repo_revision", "status_generation",
    "status_observed_generation", "status_stalled", "status_ready_replicas", "status_desired_replicas",
    "status_drift", "status_failing", "status_root_cause", "status_explained_by", "status_cause", "status_next",
    "status_snapshot_at",
)  # fmt: skip
NODE_TYPES.update(
    {
        t.label: t
        for t in (
            NodeType(
                "LiveStatus",
                "What the cluster reports for one object (`status_kind` names its kind) at the snapshot time: "
                "Ready (True/False/Unknown), reason and message as Flux writes them, revisions, replicas; "
                "`status_drift`: `live only` (not in the repository) or `repo only` (not in the cluster); "
                "`status_failing`: not ready, stalled, suspended or absent; `status_root_cause`: failing and "
                "not explained by another failing object (`status_explained_by`; `status_cause`: the end of "
                "that chain; `status_next`: the command to run next).",
                STATUS_PROPERTIES,
            ),
            NodeType(
                "StatusSnapshot",
                "One status snapshot of a cluster (`kg status load`): when, from where, and what it covered.",
                (
                    "status_repo",
                    "status_snapshot_at",
                    "status_source",
                    "status_kinds",
                    "status_objects",
                    "status_matched",
                    "status_live_only",
                    "status_repo_only",
                    "status_failing_count",
                ),
            ),
        )
    }
)
REL_TYPES["STATUS_OF"] = RelType(
    "STATUS_OF",
    ("LiveStatus",),
    REPO_LABELS,
    "The live status of the object in the repository's graph.",
)


# Property value types. Neo4j takes any value; the embedded engine declares typed
# columns up front (kg/store/embedded_store.py), so every property has one type here:
# STRING unless listed. A test checks the records of every fixture and corpus follow it.
STRING, BOOLEAN, INT64, STRING_LIST = "STRING", "BOOLEAN", "INT64", "STRING[]"
PROPERTY_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "missing",
            "assumed",
            "root",
            "prune",
            "suspend",
            "wait",
            "declared",
            "binary",
            "redacted",
            "optional",
            "inferred",
            "dependency_cycle",
        ),
        BOOLEAN,
    ),
    **dict.fromkeys(("replicas", "resources", "inputs", "generated", "rendered_objects", "tree_depth", "hops"), INT64),
    **dict.fromkeys(
        (
            "depends_on",
            "substitute_from",
            "unresolved_vars",
            "images",
            "containers",
            "pod_labels",
            "selector",
            "ports",
            "keys",
            "variables",
            "redacted_vars",
            "object_names",
            "remote_keys",
            "defined_in",
            "inputs_from",
            "container_resources",
            "probes",
            "labels",
            "sources",
        ),
        STRING_LIST,
    ),
    **dict.fromkeys(
        ("status_suspended", "status_stalled", "status_failing", "status_root_cause", "status_at_repo_revision"),
        BOOLEAN,
    ),
    **dict.fromkeys(
        (
            "status_generation",
            "status_observed_generation",
            "status_ready_replicas",
            "status_desired_replicas",
            "status_objects",
            "status_matched",
            "status_live_only",
            "status_repo_only",
            "status_failing_count",
        ),
        INT64,
    ),
    "status_kinds": STRING_LIST,
}
# The same name with another type on one label or relationship type
OWN_PROPERTY_TYPES: dict[tuple[str, str], str] = {("USES", "env"): STRING_LIST, ("Workload", "env"): STRING_LIST}
REL_COMMON_PROPERTIES = ("rel_key", "load_tag")


def property_type(name: str, owner: str | None = None) -> str:
    """The type of a property, on a label or relationship type when given."""
    return OWN_PROPERTY_TYPES.get((owner or "", name)) or PROPERTY_TYPES.get(name, STRING)


def node_properties(label: str) -> tuple[str, ...]:
    """Every property a node of the label may carry, common ones first."""
    own = [p for p in NODE_TYPES[label].properties if p not in COMMON_NODE_PROPERTIES]
    return COMMON_NODE_PROPERTIES + tuple(own)


def rel_properties(rel_type: str) -> tuple[str, ...]:
    return REL_COMMON_PROPERTIES + tuple(p for p in REL_TYPES[rel_type].properties if p not in REL_COMMON_PROPERTIES)


# The Kubernetes kinds kg reads as a Workload: the one list (loaders, exports, answers).
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")

# Kubernetes kinds that are stored under another label
KIND_LABELS = {
    **dict.fromkeys(WORKLOAD_KINDS, "Workload"),
    **dict.fromkeys(
        ("GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart", "ExternalArtifact"), "Source"
    ),
    "ClusterSecretStore": "SecretStore",
}


def label_for_kind(kind: str) -> str | None:
    """The node label of a kind or label name, case-insensitive (None if unknown)."""
    for name in list(KIND_LABELS) + list(NODE_TYPES):
        if name.lower() == kind.lower():
            return KIND_LABELS.get(name, name)
    return None


def check_identifier(name: str) -> str:
    """Labels and types are pasted into statement templates, so they must be schema names."""
    if name not in NODE_TYPES and name not in REL_TYPES:
        raise ValueError(f"{name!r} is not a label or relationship type of the schema")
    return name


def _property_list(owner: str, properties: tuple[str, ...]) -> str:
    return ", ".join(
        f"`{p}`" + ("" if property_type(p, owner) == STRING else f" ({property_type(p, owner)})") for p in properties
    )


def markdown() -> str:
    """docs/schema.md, generated from this module (a test keeps the file in step)."""
    lines = [
        "# Graph schema",
        "",
        "Generated from `kg/schema.py` by `python -m kg.schema > docs/schema.md`; do not edit by hand.",
        "",
        "Every node has " + ", ".join(f"`{p}`" for p in COMMON_NODE_PROPERTIES) + " (where they apply).",
        "Ids are readable and scoped: `<repo>:<cluster>/<Kind>/<namespace>/<name>`",
        "(no namespace segment for cluster-scoped objects; `<repo>` for the Repo node, `<repo>:<cluster>` for the Cluster).",
        "Relationships carry `rel_key` (tells apart parallel relationships of one type) and `load_tag`.",
        "Properties are strings unless a type follows them (the embedded engine declares these column types);",
        "`missing` is BOOLEAN.",
        "",
        "## Nodes",
        "",
        "| label | what | properties |",
        "|---|---|---|",
    ]
    for t in NODE_TYPES.values():
        lines.append(f"| `{t.label}` | {t.doc} | {_property_list(t.label, t.properties)} |")
    lines += ["", "## Relationships", "", "| type | from | to | what | properties |", "|---|---|---|---|---|"]
    for r in REL_TYPES.values():
        sources = "any" if r.sources == REPO_LABELS else ", ".join(r.sources)
        targets = "any" if r.targets == REPO_LABELS else ", ".join(r.targets)
        lines.append(f"| `{r.type}` | {sources} | {targets} | {r.doc} | {_property_list(r.type, r.properties)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
