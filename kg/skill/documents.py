"""The four data files of the flux-infra-guide skill, built from the rows of the
cypher/export/ queries (no database here, so each builder can be tested alone).

Every field the seed plan shows is present and filled from the graph; the others are
additive. Missing text is "" and missing lists are [], so each field has one JSON type.
Names only, never secret values: Secret nodes hold key names, and a variable that comes
from a Secret has no value (references to it stay `${var}`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kg import cypher_files
from kg.schema import WORKLOAD_KINDS
from kg.skill.keys import Row, assign_keys, keyed, path
from kg.store.base import QueryRunner

Rows = dict[str, list[Row]]  # export query name (cypher/export/NAME.cypher) -> its rows


@dataclass(frozen=True)
class DataFile:
    """One exported data file, data/STEM.json: the export queries its builder reads, the
    builder (rows -> document body; the exporter adds `metadata`), and its JSON Schema,
    kg/skill/schemas/STEM.schema.json. A new data file is one entry in DATA_FILES (at
    the end of this module), its builder, its queries and its schema."""

    stem: str
    queries: tuple[str, ...]
    build: Callable[[Rows], dict[str, Any]]

    @property
    def schema(self) -> str:
        return f"schemas/{self.stem}.schema.json"


def fetch(
    store: QueryRunner, repo: str, clusters: list[str] | None, queries: Iterable[str] | None = None
) -> dict[str, list[Row]]:
    """Every export query's rows, or those named (parameters only; nothing user-typed in query text)."""
    params = {"repo": repo, "clusters": clusters}
    return {
        name: store.query(cypher_files.text(f"export/{name}.cypher"), params)
        for name in (QUERIES if queries is None else queries)
    }


def build(rows: Rows) -> dict[str, dict[str, Any]]:
    """File stem -> document body (the exporter adds `metadata`)."""
    return {data_file.stem: data_file.build(rows) for data_file in DATA_FILES}


# -- helpers ---------------------------------------------------------------------
def text(value: Any) -> str:
    return "" if value is None else str(value)


def names(values: Iterable[Any] | None) -> list[str]:
    """Sorted, unique, non-empty: list order from Cypher's collect() is not stable."""
    return sorted({str(v) for v in values or [] if v not in (None, "")})


def group(rows: Iterable[Row], field: str) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for row in rows:
        out.setdefault(row[field], []).append(row)
    return out


_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)


def safe_url(url: Any) -> str:
    """A URL without `user:password@`: credentials in a source URL are a secret too."""
    return without_credentials(text(url))


def without_credentials(message: str) -> str:
    """Text (a URL, or a chart fetch error naming some) with `user:password@` taken out of every URL in it."""
    return _USERINFO.sub(r"\1", message)


def flux_ref(ref: str, own_namespace: str | None) -> str:
    """A dependsOn reference as Flux reads it: `name` in the object's own namespace,
    `namespace/name` across namespaces (the graph stores `namespace/name` always)."""
    namespace, _, name = ref.rpartition("/")
    return name if not namespace or namespace == own_namespace else ref


# -- services.json ---------------------------------------------------------------
def _setting(row: Row) -> dict[str, Any]:
    return {"object": row["object"], "field": row["path"], "raw": text(row.get("raw")), "value": text(row.get("value"))}


def _service_settings(row: Row, settings: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    """The settings of a service's workload that reference variables, each once with the
    variables it uses (a mounted SecretProviderClass's are in secrets-map.json, once)."""
    own = [s for (holder, _), s in settings.items() if holder == row["id"]]
    return [
        {k: v for k, v in s.items() if k != "cluster"} for s in sorted(own, key=lambda s: (s["object"], s["field"]))
    ]


def services(rows: dict[str, list[Row]]) -> dict[str, Any]:
    found = rows["services"]
    settings: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows["settings"]:
        entry = settings.setdefault(
            (r["holder_id"], r["path"]), {**_setting(r), "cluster": r["cluster"], "variables": []}
        )
        entry["variables"] = names(entry["variables"] + [r["variable"]])
    keys = assign_keys(
        found,
        lambda r: r["service"],
        [
            lambda r: path(r["namespace"], r["service"]),
            lambda r: path(r["cluster"], r["namespace"], r["service"]),
            lambda r: path(r["cluster"], r["namespace"], r["service"], f"{r['kind'].lower()}-{r['deployment']}"),
        ],
    )
    out = {}
    for key, row in zip(keys, found):
        flux_path = row.get("flux_path")
        released = _released_calls(row.get("calls_released"))
        out[key] = {
            "namespace": text(row["namespace"]),
            "deployment": row["deployment"],
            "fluxPath": f"{flux_path}/" if flux_path else "",
            "kustomization": text(row.get("kustomization")),
            "description": row.get("description")
            or f"{row['kind']} {row['deployment']} in namespace {row['namespace']}",
            # additive
            "cluster": row["cluster"],
            "kind": row["kind"],
            "app": text(row.get("app")),
            "serviceAccount": text(row.get("service_account")),
            "sourceFile": text(row.get("source_file")),
            "images": list(row.get("images") or []),
            "secretProviderClasses": names(row.get("secret_provider_classes")),
            "configMaps": names(row.get("config_maps")),
            "secrets": names(row.get("secrets")),
            "calls": names(list(row.get("calls") or []) + list(released)),
            "settings": _service_settings(row, settings),
            "helmReleaseCalls": released,
        }
        if not released:
            del out[key]["helmReleaseCalls"]
    return {"services": out}


def _released_calls(values: Iterable[Any] | None) -> dict[str, str]:
    """`namespace/service` -> HelmRelease, from 'name.namespace RELEASE' rows: a Service the
    workload calls that no manifest declares but whose HelmRelease's chart would make."""
    out = {}
    for value in sorted(names(values)):
        address, _, release = value.partition(" ")
        name, _, namespace = address.partition(".")
        out[f"{namespace}/{name}"] = release
    return out


# -- flux-resources.json ---------------------------------------------------------
# Additive fields left out of an entry when empty or false (Flux's default): most
# Kustomizations are not suspended, wait for nothing and render fine, and the file an
# assistant reads should carry what is particular to each one.
OPTIONAL_FIELDS = {
    "kustomizations": (
        "root", "appliedBy", "substituteFromRefs", "suspend", "wait", "timeout", "targetNamespace",
        "managedObjects", "renderError", "unresolvedVariables",
    ),
    "helmReleases": ("targetNamespace", "dependsOn", "suspend", "valuesFrom", "renderError", "calls"),
    # left out of the written file only (SKILL.md is built from the full entries)
    "services": ("app", "images", "secretProviderClasses", "configMaps", "secrets", "calls", "settings"),
    "configMaps": (
        "binaryKeys", "generatedName", "generator", "keyReaders", "namedIn", "redactedVariables", "resolvedKeys",
        "substitutedBy", "unresolvedVariables", "valuesFor", "variables",
    ),
}  # fmt: skip
PUBLISHED_LEAN = {"services": "services", "configmaps": "configMaps"}  # file stem -> section leaned on writing


def published(stem: str, document: dict[str, Any]) -> dict[str, Any]:
    """The document as written: entries of the sections in PUBLISHED_LEAN without their
    empty optional fields (an assistant reads what is particular to each entry)."""
    section = PUBLISHED_LEAN.get(stem)
    if section is None:
        return document
    optional = OPTIONAL_FIELDS[section]
    return {**document, section: {key: lean(entry, optional) for key, entry in document[section].items()}}


def lean(entry: dict[str, Any], optional: tuple[str, ...]) -> dict[str, Any]:
    """The entry without its optional fields that hold "", [], {} or false."""
    return {k: v for k, v in entry.items() if k not in optional or v not in ("", [], {}, False)}


def flux_resources(rows: dict[str, list[Row]]) -> dict[str, Any]:
    manages = group(rows["manages"], "kustomization_id")
    kustomizations = {}
    for key, k in keyed(rows["kustomizations"]):
        applied = manages.get(k["id"], [])
        by_kind: dict[str, list[str]] = {}
        for obj in applied:
            by_kind.setdefault(obj["kind"], []).append(path(obj.get("namespace"), obj["name"]))
        kustomizations[key] = lean({
            "namespace": text(k["namespace"]),
            "path": text(k.get("path")),
            "sourceRef": text(k.get("source_name")),
            "dependsOn": [flux_ref(d, k["namespace"]) for d in k.get("depends_on") or []],
            "interval": text(k.get("interval")),
            "prune": bool(k.get("prune")),
            # what it deploys: workloads by service name (as the seed), HelmReleases, Kustomizations
            "manages": names(
                (o.get("service") or o["name"]) if o["kind"] in WORKLOAD_KINDS else o["name"]
                for o in applied
                if o["kind"] in WORKLOAD_KINDS + ("HelmRelease", "Kustomization")
            ),
            "substituteFrom": [ref.partition("/")[2] or ref for ref in k.get("substitute_from") or []],
            # additive
            "cluster": k["cluster"],
            "root": bool(k.get("root")),
            "appliedBy": text(k.get("parent")),
            "sourceKind": text(k.get("source_kind")),
            "sourceFile": text(k.get("source_file")),
            "substituteFromRefs": list(k.get("substitute_from") or []),
            "suspend": bool(k.get("suspend")),
            "wait": bool(k.get("wait")),
            "timeout": text(k.get("timeout")),
            "targetNamespace": text(k.get("target_namespace")),
            "managedObjects": {kind: names(objs) for kind, objs in sorted(by_kind.items())},
            "renderError": text(k.get("render_error")),
            "unresolvedVariables": names(k.get("unresolved_vars")),
        }, OPTIONAL_FIELDS["kustomizations"])  # fmt: skip
    helm_releases = {}
    for key, h in keyed(rows["helmreleases"]):
        helm_releases[key] = lean({
            "namespace": text(h["namespace"]),
            "chart": text(h.get("chart")),
            "chartSource": text(h.get("chart_source")),
            "interval": text(h.get("interval")),
            # additive
            "cluster": h["cluster"],
            "chartVersion": text(h.get("chart_version")),
            "chartSourceKind": text(h.get("chart_source_kind")),
            "chartSourceNamespace": text(h.get("source_namespace")),
            "chartSourceUrl": safe_url(h.get("source_url")),
            "releaseName": text(h.get("release_name")),
            "targetNamespace": text(h.get("target_namespace")),
            "deploysTo": text(h.get("deploys_to")),
            "dependsOn": [flux_ref(d, h["namespace"]) for d in h.get("depends_on") or []],
            "suspend": bool(h.get("suspend")),
            "kustomization": text(h.get("kustomization")),
            "valuesFrom": names(h.get("values_from")),
            "sourceFile": text(h.get("source_file")),
            "renderError": without_credentials(text(h.get("render_error"))),
            "calls": names(h.get("calls")),
        }, OPTIONAL_FIELDS["helmReleases"])  # fmt: skip
    sources = {}
    kind_key = lambda r: path(r.get("cluster"), r["kind"], r.get("namespace"), r["name"])  # noqa: E731
    for key, s in keyed(rows["sources"], kind_key):
        sources[key] = {
            "kind": s["kind"],
            "namespace": text(s["namespace"]),
            "url": safe_url(s.get("url")),
            "ref": text(s.get("ref")),
            "interval": text(s.get("interval")),
            "cluster": s["cluster"],
            "sourceFile": text(s.get("source_file")),
        }
    return {"kustomizations": kustomizations, "helmReleases": helm_releases, "sources": sources}


# -- secrets-map.json ------------------------------------------------------------
def _secret_entry(fetch: Row | None, object_name: str, k8s_secret: str, mount: str) -> dict[str, Any]:
    fetch = fetch or {}
    return {
        "objectName": object_name,
        "vaultPath": text(fetch.get("api_path")),  # the API form, as a SecretProviderClass writes it
        "vaultKey": text(fetch.get("key")),
        "k8sSecretName": k8s_secret,
        "mountPath": f"{mount.rstrip('/')}/{object_name}" if mount and object_name else "",
        # additive
        "vaultKvPath": text(fetch.get("vault_path")),  # `vault kv get` form: mount/path
        "vaultServer": text(fetch.get("backend")),
        "via": text(fetch.get("via")),
        "match": text(fetch.get("match")),
    }


def secrets_map(rows: dict[str, list[Row]]) -> dict[str, Any]:
    fetches = group(rows["secret_fetches"], "reader_id")
    syncs = group(rows["secret_syncs"], "reader_id")
    spcs = {}
    for key, s in keyed(rows["secret_provider_classes"]):
        synced = syncs.get(s["id"], [])
        mounts = names(s.get("mount_paths"))
        mount = mounts[0] if len(mounts) == 1 else ""  # per-object file path only when unambiguous
        # secretObjects: which synced Secret carries each object (when the graph records it)
        carried = {o: row["secret"] for row in synced for o in row.get("object_names") or []}
        entries = [
            _secret_entry(f, text(f.get("object_name")), carried.get(f.get("object_name"), ""), mount)
            for f in fetches.get(s["id"], [])
        ]
        fetched = {e["objectName"] for e in entries}
        entries += [
            _secret_entry(None, o, carried.get(o, ""), mount) for o in s.get("object_names") or [] if o not in fetched
        ]
        entries.sort(key=lambda e: (e["objectName"], e["vaultPath"], e["vaultKey"]))
        secret_names = names(row["secret"] for row in synced)
        spcs[key] = {
            "namespace": text(s["namespace"]),
            "provider": text(s.get("provider")),
            "vaultRole": text(s.get("vault_role")),
            "vaultMountPath": text(s.get("vault_mount_path_raw") or s.get("vault_mount_path")),
            "secrets": entries,
            "k8sSecretName": ", ".join(secret_names),
            "usedBy": names(list(s.get("users") or []) + [u for row in synced for u in row.get("users") or []]),
            # additive
            "cluster": s["cluster"],
            "vaultMountPathResolved": text(s.get("vault_mount_path")),
            "vaultAddress": safe_url(s.get("vault_address")),
            "vaultAddressRaw": safe_url(s.get("vault_address_raw")),
            "vaultNamespace": text(s.get("vault_namespace")),
            "mountPaths": mounts,
            "k8sSecrets": [
                {"name": row["secret"], "keys": names(row.get("keys")), "usedBy": names(row.get("users"))}
                for row in sorted(synced, key=lambda r: r["secret"])
            ],
            "sourceFile": text(s.get("source_file")),
        }
    external = {}
    for key, e in keyed(rows["external_secrets"]):
        synced = syncs.get(e["id"], [])
        entries = [
            _secret_entry(f, text(f.get("object_name")), text(e.get("target")), "") for f in fetches.get(e["id"], [])
        ]
        entries.sort(key=lambda x: (x["objectName"], x["vaultPath"], x["vaultKey"], x["match"]))
        external[key] = {
            "namespace": text(e["namespace"]),
            "store": text(e.get("store")),
            "storeKind": text(e.get("store_kind")),
            "provider": text(e.get("store_provider")),
            "vaultServer": safe_url(e.get("store_server")),
            "k8sSecretName": text(e.get("target")),
            "refreshInterval": text(e.get("refresh_interval")),
            "remoteKeys": names(e.get("remote_keys")),
            "secrets": entries,
            "keys": names(k for row in synced for k in row.get("keys") or []),
            "usedBy": names(u for row in synced for u in row.get("users") or []),
            "cluster": e["cluster"],
            "sourceFile": text(e.get("source_file")),
        }
    stores = {}
    kind_key = lambda r: path(r.get("cluster"), r["kind"], r.get("namespace"), r["name"])  # noqa: E731
    for key, st in keyed(rows["secret_stores"], kind_key):
        stores[key] = {
            "kind": st["kind"],
            "namespace": text(st.get("namespace")),
            "provider": text(st.get("provider")),
            "server": safe_url(st.get("server")),
            "serverRaw": safe_url(st.get("server_raw")),
            "mount": text(st.get("mount")),
            "kvVersion": text(st.get("kv_version")),
            "vaultNamespace": text(st.get("vault_namespace")),
            "vaultRole": text(st.get("vault_role")),
            "authMethod": text(st.get("auth_method")),
            "authMountPath": text(st.get("vault_auth_mount_path")),
            "cluster": st["cluster"],
            "sourceFile": text(st.get("source_file")),
        }
    return {"secretProviderClasses": spcs, "externalSecrets": external, "secretStores": stores}


# -- configmaps.json -------------------------------------------------------------
def _listing(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _configmap_description(
    users: list[str], substituted_by: list[str], values_for: list[str], named_in: list[str] | None = None
) -> str:
    """What the graph says the ConfigMap is for (the seed's hand-written description)."""
    parts = []
    if substituted_by:
        parts.append(
            f"Variables for Flux post-build substitution (substituteFrom of {len(substituted_by)} Kustomization(s))"
        )
    if values_for:
        parts.append(f"Helm values for {_listing(values_for)}")
    if users:
        parts.append(f"Configuration read by {_listing(users)}")
    if named_in:
        parts.append(f"Named in the Helm values of {_listing(named_in)}")
    return "; ".join(parts) or "Not read by any workload, Kustomization or HelmRelease of the repository"


def configmaps(rows: dict[str, list[Row]]) -> dict[str, Any]:
    keys_of = group(rows["config_keys"], "configmap_id")
    out = {}
    for key, c in keyed(rows["configmaps"]):
        ckeys = keys_of.get(c["id"], [])
        users, substituted_by, values_for = (
            names(c.get("users")),
            names(c.get("substituted_by")),
            names(c.get("values_for")),
        )
        out[key] = {
            "namespace": text(c["namespace"]),
            "generatedBy": text(c.get("generated_by")),
            "sourceFile": text(c.get("source_file")),
            "description": _configmap_description(users, substituted_by, values_for, names(c.get("named_in"))),
            "keys": {k["key"]: text(k.get("value_raw")) for k in ckeys},
            "usedBy": users,
            # additive
            "cluster": c["cluster"],
            "kustomization": text(c.get("kustomization")),
            "generator": text(c.get("generator")),
            "generatedName": text(c.get("generated_name")),
            # only the keys substitution changes: the others are as in `keys`
            "resolvedKeys": {
                k["key"]: text(k.get("value")) for k in ckeys if text(k.get("value")) != text(k.get("value_raw"))
            },
            "binaryKeys": names(k["key"] for k in ckeys if k.get("binary")),
            "variables": names(v for k in ckeys for v in k.get("variables") or []),
            "redactedVariables": names(v for k in ckeys for v in k.get("redacted_vars") or []),
            "unresolvedVariables": names(v for k in ckeys for v in k.get("unresolved_vars") or []),
            "substitutedBy": substituted_by,
            "valuesFor": values_for,
            "namedIn": names(c.get("named_in")),
            "keyReaders": {k["key"]: names(k.get("readers")) for k in ckeys if k.get("readers")},
        }
    return {"configMaps": out, "variableSubstitution": variable_substitution(rows)}


def _variable_description(v: Row) -> str:
    where = ", ".join(v.get("defined_in") or [])
    if v.get("redacted"):
        return f"redacted: comes from {where} (never exported)"
    if not where:
        return "undefined: Flux substitutes an empty string"
    return f"{text(v.get('value'))} (from {where})"


_INLINE = re.compile(r"^Kustomization (?:[^/ ]+/)?(\S+) \(inline\)$")


def variable_substitution(rows: dict[str, list[Row]]) -> dict[str, Any]:
    """The substitution mechanism the repository really uses."""
    sources: dict[tuple[Any, ...], dict[str, Any]] = {}
    for s in rows["substitutions"]:
        entry = sources.setdefault(
            (s["kind"], text(s.get("namespace")), s["name"]),
            {
                "kind": s["kind"],
                "name": s["name"],
                "namespace": text(s.get("namespace")),
                "optional": False,
                "kustomizations": set(),
                "clusters": set(),
            },
        )
        entry["optional"] = entry["optional"] or bool(s.get("optional"))
        entry["kustomizations"].add(s["kustomization"])
        entry["clusters"].add(s["cluster"])
    listed = [
        {**e, "kustomizations": sorted(e["kustomizations"]), "clusters": sorted(e["clusters"])}
        for _, e in sorted(sources.items())
    ]
    inline = names(m.group(1) for v in rows["variables"] for d in v.get("defined_in") or [] if (m := _INLINE.match(d)))
    mechanisms = (["Flux postBuild.substituteFrom"] if listed else []) + (
        ["Flux postBuild.substitute (inline)"] if inline else []
    )
    config_maps = sorted(
        (e for e in listed if e["kind"] == "ConfigMap"),
        key=lambda e: (-len(e["kustomizations"]), e["namespace"], e["name"]),
    )
    main = config_maps[0] if config_maps else None
    found = rows["variables"]
    settings = group(rows["settings"], "variable")
    variables = dict(zip(assign_keys(found, lambda r: r["name"], [lambda r: path(r["cluster"], r["name"])]), found))
    return {
        "mechanism": " and ".join(mechanisms) or "none: no Flux Kustomization sets postBuild",
        "sourceConfigMap": main["name"] if main else "",
        "namespace": main["namespace"] if main else "",
        "syntax": "${variable_name}",
        # the seed's `${name}` keys; a name defined differently per cluster: `cluster/${name}`
        "commonVariables": {
            ("" if key == v["name"] else v["cluster"] + "/") + "${" + v["name"] + "}": _variable_description(v)
            for key, v in variables.items()
        },
        # additive
        "sources": listed,
        "inlineSubstitute": inline,
        "variables": {
            key: {
                "cluster": v["cluster"],
                "value": "" if v.get("redacted") else text(v.get("value")),
                "redacted": bool(v.get("redacted")),
                "definedIn": list(v.get("defined_in") or []),
                "usedByKeys": int(v.get("key_users") or 0),
                "usedByKustomizations": int(v.get("kustomization_users") or 0),
                "settings": sorted(
                    (_setting(s) for s in settings.get(v["name"], []) if s["cluster"] == v["cluster"]),
                    key=lambda s: (s["object"], s["field"]),
                ),
            }
            for key, v in variables.items()
        },
    }


# -- flux-resources.json's status (kg export --with-status) --------------------------
def status_section(rows: Rows) -> dict[str, Any]:
    """Per cluster: its status snapshot's time and counts, and every object it reports
    failing or live-only (root causes first). Healthy objects are counted, not listed, so
    the section stays small; it exists only when asked for (the nightly export is free of
    status and stays byte-stable)."""
    objects = group(rows["status_objects"], "cluster")
    clusters = {}
    for snap in rows["status_snapshots"]:
        listed = sorted(
            objects.get(snap["cluster"], []),
            key=lambda o: (not o.get("root_cause"), text(o["kind"]), text(o.get("namespace")), text(o["name"])),
        )
        clusters[snap["cluster"]] = {
            "snapshotAt": text(snap.get("snapshot_at")),
            "source": text(snap.get("source")),
            "counts": {
                "objects": int(snap.get("objects") or 0),
                "matched": int(snap.get("matched") or 0),
                "liveOnly": int(snap.get("live_only") or 0),
                "repoOnly": int(snap.get("repo_only") or 0),
                "failing": int(snap.get("failing") or 0),
            },
            "objects": [
                {
                    "kind": text(o["kind"]),
                    "namespace": text(o.get("namespace")),
                    "name": text(o["name"]),
                    "ready": text(o.get("ready")),
                    "reason": text(o.get("reason")),
                    "message": text(o.get("message")),
                    "since": text(o.get("since")),
                    "drift": text(o.get("drift")),
                    "failing": bool(o.get("failing")),
                    "rootCause": bool(o.get("root_cause")),
                    "explainedBy": text(o.get("explained_by")),
                    "cause": text(o.get("cause")),
                    "next": text(o.get("next")),
                    "appliedRevision": text(o.get("applied_revision")),
                }
                for o in listed
            ],
        }
    return {"clusters": clusters}


STATUS_QUERIES = ("status_snapshots", "status_objects")


# -- the registry ----------------------------------------------------------------
DATA_FILES = (
    DataFile("services", ("services", "settings"), services),
    DataFile("flux-resources", ("kustomizations", "manages", "helmreleases", "sources"), flux_resources),
    DataFile(
        "secrets-map",
        ("secret_provider_classes", "secret_fetches", "secret_syncs", "external_secrets", "secret_stores"),
        secrets_map,
    ),
    DataFile("configmaps", ("configmaps", "config_keys", "substitutions", "variables", "settings"), configmaps),
)
# Read by SKILL.md only (kg/skill/markdown.py), besides the data files' rows.
GUIDE_QUERIES = ("namespaces", "backends", "telemetry")
QUERIES = tuple(dict.fromkeys([q for data_file in DATA_FILES for q in data_file.queries] + list(GUIDE_QUERIES)))
