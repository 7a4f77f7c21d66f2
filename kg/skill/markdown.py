"""SKILL.md of flux-infra-guide and of flux-infra-guide-regenerate, from the graph.

The prose lives in templates/*.md with `{{slot}}` placeholders (plain replacement, so
the `${var}` text of Flux needs no escaping); every table, diagram, command and count
in a slot is computed here from the exported documents and the export query rows, so
SKILL.md never says anything the data files do not. Tables are capped so a large
repository still gives a SKILL.md under 500 lines; the data files hold the rest.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from importlib import resources
from typing import Any, cast

from kg.errors import KgError
from kg.skill.keys import Row

# Rows per table, lines of the dependency tree and rows of the service index, tried in
# turn until SKILL.md stays under MAX_LINES (a big repository gets shorter tables, each
# saying where the data files hold the rest).
LIMITS = ((15, 45, 150), (8, 24, 80), (4, 12, 40))
MAX_LINES = 500
GUIDE = "flux-infra-guide"  # skill names, which are also their folder names (the spec wants both equal)
REGENERATE = "flux-infra-guide-regenerate"

GUIDE_TRIGGERS = (
    "infrastructure guide", "where does X run", "what namespace", "how to debug", "check logs",
    "flux resources", "service unhealthy", "pod failing",
)  # fmt: skip
REGENERATE_TRIGGERS = (
    "/flux-infra-guide-regenerate",
    "regenerate infra guide",
    "update infra catalog",
    "refresh flux data",
)

# Observability charts recognised by name (first match wins); the rest of each row of the
# component map (namespace, chart, source, file) comes from the graph.
OBSERVABILITY = (
    ("alloy", "Collection agent (metrics + logs)"),
    ("grafana-agent", "Collection agent (metrics + logs)"),
    ("promtail", "Log shipping to Loki"),
    ("loki", "Log storage"),
    ("mimir", "Metrics storage"),
    ("cortex", "Metrics storage (multi-tenant)"),
    ("thanos", "Long-term metrics storage"),
    ("kube-prometheus-stack", "Prometheus, Alertmanager and Grafana"),
    ("victoria-metrics", "Metrics storage"),
    ("prometheus", "Metrics scraping and storage"),
    ("grafana", "Dashboards (visualization)"),
    ("tempo", "Trace storage"),
    ("jaeger", "Tracing"),
    ("opentelemetry", "Telemetry collection (OpenTelemetry)"),
    ("fluent-bit", "Log shipping"),
    ("fluentd", "Log shipping"),
    ("vector", "Log and metric pipeline"),
    ("opencost", "Cost analysis"),
    ("kubecost", "Cost analysis"),
    ("metrics-server", "Resource metrics (kubectl top)"),
    ("kube-state-metrics", "Kubernetes object metrics"),
    ("node-exporter", "Node metrics"),
    ("blackbox-exporter", "Probes"),
    ("alertmanager", "Alert routing"),
    ("uptime-kuma", "Uptime monitoring"),
    ("gatus", "Uptime monitoring"),
)  # fmt: skip
VARIABLES_SHOWN = 30  # variables drawn in the substitution flow; the data file has them all
MESH = (("linkerd", "Linkerd (mesh)", "linkerd check"), ("istio", "Istio (mesh)", "istioctl analyze"))


# -- small helpers -----------------------------------------------------------------
def _template(name: str) -> str:
    return resources.files("kg.skill").joinpath(f"templates/{name}.md").read_text(encoding="utf-8")


def fill(template: str, slots: dict[str, str]) -> str:
    for slot, value in slots.items():
        template = template.replace("{{" + slot + "}}", value)
    left = re.search(r"\{\{[a-z_]+\}\}", template)
    if left:
        raise ValueError(f"SKILL.md template slot {left.group(0)} has no value")
    return template.rstrip("\n") + "\n"


def cell(value: Any) -> str:
    """Text for a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ") if value not in (None, "") else "-"


def some(items: Iterable[str], limit: int = 4) -> str:
    """Every item, comma-separated: a list cut short (`... (6 in all)`) hides exactly the
    name an assistant looks for. `limit` is kept for the call sites' intent only."""
    return ", ".join(items)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def capped(rows: list[str], total: int, where: str, columns: int = 3) -> str:
    """Table rows, and one row saying how many more the data file holds."""
    if not rows:
        return "|" + " - |" * columns
    more = total - len(rows)
    return "\n".join(rows + ([f"| ... {more} more | see `{where}` |" + " |" * (columns - 2)] if more > 0 else []))


# Data-format sections are field lists: the seed's fields first (what most answers need),
# then the others. A note says what a field holds where its name does not.
FIRST_FIELDS = {
    "services": ("namespace", "deployment", "kind", "kustomization", "fluxPath", "sourceFile", "description"),
    "kustomizations": ("namespace", "path", "sourceRef", "dependsOn", "interval", "prune", "manages", "substituteFrom"),
    "helmReleases": ("namespace", "deploysTo", "chart", "chartVersion", "chartSource", "kustomization", "valuesFrom"),
    "sources": (),
    "secretProviderClasses": ("namespace", "provider", "vaultRole", "vaultMountPath", "secrets", "k8sSecretName", "usedBy"),
    "externalSecrets": ("namespace", "store", "k8sSecretName", "secrets", "usedBy"),
    "secretStores": (),
    "secrets": ("objectName", "vaultPath", "vaultKey", "k8sSecretName", "mountPath"),
    "configMaps": ("namespace", "generatedBy", "sourceFile", "description", "keys", "resolvedKeys", "keyReaders", "usedBy"),
    "variableSubstitution": ("mechanism", "sourceConfigMap", "namespace", "syntax", "variables", "sources"),
}  # fmt: skip
FIELD_NOTES = {
    "deployment": "workload name",
    "calls": "Services it calls, namespace/name",
    "helmReleaseCalls": "called Services a chart would make, with their HelmRelease",
    "settings": "fields using post-build variables, raw and applied",
    "serviceAccount": "what a Vault role names",
    "fluxPath": "folder of its Kustomization",
    "manages": "what it applies",
    "managedObjects": "count",
    "deploysTo": "namespace of the release",
    "keys": "values as in git",
    "resolvedKeys": "values Flux applies, where substitution changes them",
    "keyReaders": "per key: who reads it, env or envFrom",
    "namedIn": "Helm values naming it",
    "usedBy": "services",
    "vaultMountPathResolved": "after substitution",
    "status": "live status, with --with-status",
}


def field_list(name: str, sections: dict[str, Any]) -> str:
    """`name`: for each top-level section, the fields its entries have (first the ones
    most answers need), a short note where the name says too little."""
    lines = [f"`{name}` holds:"]
    for section, entries in sections.items():
        records = [] if section == "variableSubstitution" else [e for e in entries.values() if isinstance(e, dict)]
        fields = set(entries) if section == "variableSubstitution" else {f for entry in records for f in entry}
        if not fields:
            continue
        first = [f for f in FIRST_FIELDS.get(section, ()) if f in fields]
        ordered = first + sorted(fields - set(first))
        text = ", ".join(f"`{f}`" + (f" ({FIELD_NOTES[f]})" if f in FIELD_NOTES else "") for f in ordered)
        where = f"`{section}`" if section == "variableSubstitution" else f"`{section}.NAME`"
        lines.append(f"- {where}: {text}")
        nested = {f for entry in records for e in entry.get("secrets") or [] if isinstance(e, dict) for f in e}
        if nested:
            first = [f for f in FIRST_FIELDS["secrets"] if f in nested]
            lines.append(
                f"  - each of its `secrets`: {', '.join(f'`{f}`' for f in first + sorted(nested - set(first)))}"
            )
    lines.append(
        "- `metadata`: `generatedFrom`, `generatedAt`, `gitRevision`, `fluxRepoPath`, `fluxRepoUrl`, `clusters`"
    )
    return "\n".join(lines)


def clean(text: str) -> str:
    """Frontmatter text: no angle brackets (the spec forbids them in descriptions)."""
    return re.sub(r"[<>]", "", text)


def spec_problems(name: str, description: str) -> list[str]:
    """The Agent Skills spec's rules for the two required fields (checked on the values
    kg writes, so kg/ needs no YAML parser; tests/skill_spec.py re-reads the files)."""
    problems = []
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) or len(name) > 64:
        problems.append(f"name {name!r} must be 1-64 lowercase letters, digits and single hyphens")
    if not description.strip() or len(description) > 1024:
        problems.append(f"description must be 1-1024 characters, not {len(description)}")
    if "<" in description or ">" in description:
        problems.append("description must not contain < or >")
    return problems


def frontmatter(name: str, description: str, meta: dict[str, Any]) -> str:
    """The frontmatter (without its --- lines): name, description and string metadata."""
    description = clean(description)
    problems = spec_problems(name, description)
    if problems:
        raise KgError(f"export: {name}/SKILL.md breaks the Agent Skills spec: {problems[0]}; nothing was written")
    fields = {
        "generated-by": "kg export",
        "generated-from": meta["generatedFrom"],
        "generated-at": meta["generatedAt"],
        "git-revision": meta["gitRevision"] or "unknown",
    }
    # JSON strings are valid YAML double-quoted scalars: no YAML library needed
    lines = [f"name: {name}", f"description: {json.dumps(description, ensure_ascii=False)}", "metadata:"]
    lines += [f"  {k}: {json.dumps(clean(str(v)), ensure_ascii=False)}" for k, v in fields.items()]
    return "\n".join(lines)


# -- what the documents say ----------------------------------------------------------
def _hub(services: dict[str, Any]) -> str | None:
    """The example service: the one most others call (ties: by key), else the first."""
    if not services:
        return None
    called_by = _callers(services)
    return min(
        services, key=lambda k: (-len(called_by.get(f"{services[k]['namespace']}/{services[k]['deployment']}", [])), k)
    )


def _observability(helm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for key, entry in helm.items():
        chart = entry["chart"].lower()
        for pattern, purpose in OBSERVABILITY:
            if pattern in chart:
                found.append((key, purpose, entry))
                break
    return found


def _counts(docs: dict[str, Any]) -> dict[str, int]:
    services = docs["services"]["services"]
    flux = docs["flux-resources"]
    secrets = docs["secrets-map"]
    configs = docs["configmaps"]
    return {
        "services": len(services),
        "namespaces": len({(s["cluster"], s["namespace"]) for s in services.values()}),
        "kustomizations": len(flux["kustomizations"]),
        "helm": len(flux["helmReleases"]),
        "sources": len(flux["sources"]),
        "spcs": len(secrets["secretProviderClasses"]),
        "external": len(secrets["externalSecrets"]),
        "stores": len(secrets["secretStores"]),
        "configmaps": len(configs["configMaps"]),
        "variables": len(configs["variableSubstitution"]["variables"]),
    }


def _clusters_text(meta: dict[str, Any]) -> str:
    clusters = meta["clusters"]
    return (
        ("cluster " if len(clusters) == 1 else "clusters ") + ", ".join(f"`{c}`" for c in clusters)
        if clusters
        else "no cluster"
    )


# -- sections ----------------------------------------------------------------------------
def _callers(services: dict[str, Any]) -> dict[str, list[str]]:
    """`namespace/workload` -> the services calling it."""
    called_by: dict[str, list[str]] = {}
    for key, s in services.items():
        for target in s["calls"]:
            called_by.setdefault(target, []).append(key)
    return called_by


def _relative(target: str, namespace: str) -> str:
    target_namespace, _, name = target.partition("/")
    return name if target_namespace == namespace else target


def _service_index(services: dict[str, Any], releases: dict[str, Any], limit: int) -> str:
    """One row per service: where it runs, what applies it, its secrets and ConfigMaps,
    whom it calls and who calls it (complete lists; rows past `limit` are in the data
    files). A HelmRelease whose chart kg could not render, and which calls or is called,
    has a row of its own: what its chart makes is missing, so the release stands for it
    (every release is in the namespace table; a row each would crowd out the rest)."""
    called_by = _callers(services)
    release_callers = _release_callers(services, releases)
    lines = []  # in the order of sorted(services)
    for key, s in sorted(services.items()):
        name = key.split("/")[-1]
        workload = s["deployment"] if s["deployment"] != name else ""
        if s["kind"] != "Deployment":
            workload = f"{s['kind']} {s['deployment']}"
        secrets = [f"CSI {spc}" for spc in s["secretProviderClasses"]] + s["secrets"]
        released = s.get("helmReleaseCalls", {})
        calls = [
            _relative(t, s["namespace"]) + (f" (HelmRelease {released[t]})" if t in released else "")
            for t in s["calls"]
        ]
        address = f"{s['namespace']}/{s['deployment']}"
        callers = sorted({*called_by.get(address, []), *release_callers.get(address, [])})
        lines.append(
            _index_row(key, s["namespace"], workload, s["kustomization"], secrets, s["configMaps"], calls, callers)
        )
    # one row per namespace/name: the same release in several clusters is one app
    apps: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key, r in _unrendered(releases).items():
        apps.setdefault((r["namespace"], key.split("/")[-1]), []).append(r)
    rows: dict[str, str] = {}
    for (namespace, name), same in sorted(apps.items()):
        calls = sorted({_relative(t, namespace) for r in same for t in r.get("calls", [])})
        callers = sorted(set(release_callers.get(f"{namespace}/{name}", [])))
        if not calls and not callers:
            continue
        row_key = name if name not in services and name not in rows else f"{namespace}/{name}"
        values_from = sorted({v for r in same for v in r.get("valuesFrom", [])})
        rows[row_key] = _index_row(
            row_key,
            namespace,
            "HelmRelease (chart not rendered)" if row_key == name else f"HelmRelease {name} (chart not rendered)",
            ", ".join(sorted({r["kustomization"] for r in same if r["kustomization"]})),
            [v.partition("/")[2] for v in values_from if v.startswith("Secret/")],
            [v.partition("/")[2] for v in values_from if v.startswith("ConfigMap/")],
            calls,
            callers,
        )
    lines = [line for _, line in sorted([*zip(sorted(services), lines), *rows.items()])]
    return capped(lines[:limit], len(lines), "data/services.json and data/flux-resources.json", 8)


def _index_row(
    key: str,
    namespace: str,
    workload: str,
    kustomization: str,
    secrets: list[str],
    config_maps: list[str],
    calls: list[str],
    callers: list[str],
) -> str:
    return (
        f"| **{key}** | {cell(namespace)} | {cell(workload)} | {cell(kustomization)} "
        f"| {cell(', '.join(secrets))} | {cell(', '.join(config_maps))} | {cell(', '.join(calls))} "
        f"| {cell(', '.join(callers))} |"
    )


def _unrendered(releases: dict[str, Any]) -> dict[str, Any]:
    """The HelmReleases whose chart kg could not render, by their data-file key."""
    return {key: r for key, r in releases.items() if r.get("renderError")}


def _release_callers(services: dict[str, Any], releases: dict[str, Any]) -> dict[str, list[str]]:
    """`namespace/release` -> the services and releases calling what its chart would make."""
    called_by: dict[str, list[str]] = {}
    for key, s in services.items():
        for target, release in s.get("helmReleaseCalls", {}).items():
            called_by.setdefault(f"{target.partition('/')[0]}/{release}", []).append(key)
    for key, r in releases.items():
        for target in r.get("calls", []):
            if r.get("renderError"):  # a rendered release's calls are its workloads' (services)
                called_by.setdefault(target, []).append(key.split("/")[-1])
    return called_by


# a chart fetch error, as helm or kg words it, and what an assistant should read from it
_RENDER_REASONS = (
    ("not in the chart cache", "offline, and the chart is not in the chart cache"),
    ("no helm", "no helm binary"),
    ("name or service not known", "its chart source could not be reached"),
    ("no such host", "its chart source could not be reached"),
    ("connection refused", "its chart source could not be reached"),
)


def _render_reason(error: str) -> str:
    lowered = error.lower()
    return next((reason for needle, reason in _RENDER_REASONS if needle in lowered), "the chart failed to render")


def _service_index_note(releases: dict[str, Any]) -> str:
    """Under the index: which releases stand in for what their charts make, and why."""
    unrendered = _unrendered(releases)
    if not unrendered:
        return ""
    reasons: dict[str, int] = {}
    for r in unrendered.values():
        reason = _render_reason(r["renderError"])
        reasons[reason] = reasons.get(reason, 0) + 1
    why = "; ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    return (
        f"\n**{plural(len(unrendered), 'HelmRelease')} not rendered** ({why}). The Deployments and "
        "Services their charts make are not in this index or `data/services.json`; the releases "
        "are in the Namespaces table below and in `data/flux-resources.json` (`renderError` says "
        "why), and those that call or are called from their values have a row above (`chart not "
        "rendered`). To see inside them, run `kg charts pull REPO` where the chart sources are "
        "reachable, then `kg load --offline REPO` and export again.\n"
    )


def _namespace_table(rows: list[Row], limit: int) -> str:
    merged: dict[str, dict[str, set[str]]] = {}
    for r in rows:
        entry = merged.setdefault(r["name"], {"workloads": set(), "helm": set(), "ks": set(), "clusters": set()})
        entry["workloads"].update(r.get("workloads") or [])
        entry["helm"].update(r.get("helm_releases") or [])
        entry["ks"].update(r.get("kustomizations") or [])
        entry["clusters"].add(r["cluster"])
    multi = len({r["cluster"] for r in rows}) > 1
    ordered = sorted(merged.items(), key=lambda item: (-len(item[1]["workloads"]) - len(item[1]["helm"]), item[0]))
    lines = []
    for name, e in ordered[:limit]:
        what = []
        if e["workloads"]:  # named once, in the service index
            what.append(f"{plural(len(e['workloads']), 'workload')} (Service Index)")
        if e["helm"]:
            what.append(f"{'HelmRelease' if len(e['helm']) == 1 else 'HelmReleases'} {some(sorted(e['helm']))}")
        text = "; ".join(what) or "no workloads or HelmReleases in the repository"
        if multi:
            text += f" (clusters {', '.join(sorted(e['clusters']))})"
        lines.append(f"| `{name}` | {cell(text)} | {cell(some(sorted(e['ks']), 3))} |")
    return capped(lines, len(merged), "data/services.json")


def _helm_table(helm: dict[str, Any], limit: int) -> str:
    lines = [
        f"| `{key}` | {cell(h['deploysTo'] or h['namespace'])} | {cell(h['chart'] + (' ' + h['chartVersion'] if h['chartVersion'] else ''))} "
        f"| {cell(h['chartSource'])} | {cell(h['kustomization'])} |"
        for key, h in list(helm.items())[:limit]
    ]
    return capped(lines, len(helm), "data/flux-resources.json", 5)


def _root(flux: dict[str, Any]) -> tuple[str, str, str]:
    """(root Kustomization, its source name, namespace) of the first cluster."""
    for key, k in flux["kustomizations"].items():
        if k.get("root"):
            return key, k["sourceRef"] or "flux-system", k["namespace"] or "flux-system"
    return "flux-system", "flux-system", "flux-system"


def _flux_check_order(docs: dict[str, Any], hub: str | None) -> str:
    flux = docs["flux-resources"]
    _, source, namespace = _root(flux)
    service = docs["services"]["services"].get(hub or "", {})
    ks = service.get("kustomization") or next(
        iter(k for k, v in flux["kustomizations"].items() if not v.get("root")), "<name>"
    )
    # the subject's own HelmRelease (one making a Service it calls), else a placeholder
    release = next(iter(sorted(service.get("helmReleaseCalls", {}).values())), None)
    helm = flux["helmReleases"].get(release) if release else None
    helm_cmd = (
        f"`flux get helmrelease {release} -n {helm['namespace']}` (the release behind a Service `{hub}` calls)"
        if helm
        else "`flux get helmrelease <name> -n <namespace>`"
    )
    lines = [
        f"1. GitRepository: `flux get source git {source} -n {namespace}`",
        f"2. Kustomization: `flux get kustomization {ks} -n {namespace}`"
        + (f" (the one applying `{hub}`: `kustomization` in services.json)" if service else ""),
        f"3. HelmRelease (if applicable): {helm_cmd}",
        f"4. Events: `kubectl get events -n {namespace} --sort-by='.lastTimestamp'`",
    ]
    return "\n".join(lines)


def _render_problems(flux: dict[str, Any]) -> str:
    broken = [(k, v["renderError"]) for k, v in flux["kustomizations"].items() if v.get("renderError")]
    if not broken:
        return ""
    lines = [
        f"\n**Not rendered by kg** ({plural(len(broken), 'Kustomization')}; what they apply is missing from the data files):\n"
    ]
    lines += [f"- `{k}`: {error}" for k, error in broken[:10]]
    if len(broken) > 10:
        lines.append(f"- ... {len(broken) - 10} more (`renderError` in data/flux-resources.json)")
    return "\n".join(lines) + "\n"


def _live_status(flux: dict[str, Any]) -> str:
    """With `kg export --with-status`: each cluster's snapshot time and its root causes
    (the rest is in data/flux-resources.json `status`); nothing without it."""
    clusters = flux.get("status", {}).get("clusters", {})
    if not clusters:
        return ""
    lines = [
        "\n**Live status** (from the status snapshots loaded when this was exported; `status` in data/flux-resources.json):\n"
    ]
    for cluster, snap in sorted(clusters.items()):
        counts = snap["counts"]
        causes = ", ".join(
            f"{o['kind']} `{o['namespace']}/{o['name']}` ({o['reason']})" for o in snap["objects"] if o["rootCause"]
        )
        line = f"- `{cluster}` at {snap['snapshotAt']}: {counts['failing']} failing of {counts['objects']} objects"
        lines.append(line + (f"; root causes: {causes}" if causes else ""))
    return "\n".join(lines) + "\n"


def _top_spc(spcs: dict[str, Any]) -> str | None:
    """The SecretProviderClass shown in samples and diagrams: the most used one."""

    def weight(k: str) -> tuple[Any, ...]:
        return (
            -len(spcs[k]["usedBy"]),
            -sum(1 for e in spcs[k]["secrets"] if e["vaultPath"]),
            -len(spcs[k]["secrets"]),
            k,
        )

    return min(spcs, key=weight) if spcs else None


def _top_external(external: dict[str, Any]) -> str:
    return min(external, key=lambda k: (-len(external[k]["usedBy"]), -len(external[k]["secrets"]), k))


def _backend_line(server: str, backends: list[Row]) -> str:
    """`host:port, served by HelmRelease/x` for a Vault location's server key."""
    for b in backends:
        if server and b["id"].endswith("/SecretBackend/" + server):
            served = ", ".join(sorted(b.get("served_by") or []))
            return server + (f", served by {served}" if served else "")
    return server or "default server of the provider"


def _secret_flow(docs: dict[str, Any], rows: dict[str, list[Row]]) -> str:
    secrets = docs["secrets-map"]
    blocks = []
    top = _top_spc(secrets["secretProviderClasses"])
    if top:
        spc = secrets["secretProviderClasses"][top]
        servers = sorted({e["vaultServer"] for e in spc["secrets"] if e["vaultServer"]})
        paths: dict[str, list[str]] = {}
        for e in spc["secrets"]:
            paths.setdefault(f"Path: {e['vaultPath']}" if e["vaultPath"] else f"object: {e['objectName']}", []).append(
                e["vaultKey"]
            )
        lines = [
            f"{spc['provider'].capitalize() or 'Secret store'} ({_backend_line(servers[0] if servers else '', rows['backends'])})",
            "    │",
        ]
        for p, keys in sorted(paths.items())[:6]:
            keys = sorted({k for k in keys if k})
            lines.append(
                f"    ├── {p}" + (f" ({'key' if len(keys) == 1 else 'keys'} {', '.join(keys)})" if keys else "")
            )
        if len(paths) > 6:
            lines.append(f"    ├── and {len(paths) - 6} more: `secrets` of {top} in data/secrets-map.json")
        lines += ["    │", "    ▼", f"SecretProviderClass ({top}, namespace {spc['namespace']})"]
        settings = [f"    ├── vaultRole: {spc['vaultRole']}"] if spc["vaultRole"] else []
        if spc["vaultMountPath"]:
            resolved = spc["vaultMountPathResolved"]
            settings.append(
                f"    ├── vaultMountPath: {spc['vaultMountPath']}"
                + (f" (= {resolved})" if resolved not in ("", spc["vaultMountPath"]) else "")
            )
        lines += (["    │", *settings] if settings else []) + [
            "    │",
            "    ▼",
            f"CSI Volume Mount (in the pods of {some(spc['usedBy'])})",
            "    │",
        ]
        lines += [f"    ├── mountPath: {m}/" for m in spc["mountPaths"]]
        lines += [f"    ├── synced into Secret {s['name']} (keys {some(s['keys'])})" for s in spc["k8sSecrets"]]
        first_file = next((e["mountPath"] for e in spc["secrets"] if e["mountPath"]), "")
        lines += [
            "    │",
            "    ▼",
            f"Pod reads secret file at {first_file}" if first_file else "Pod reads the mounted files",
        ]
        blocks.append("```\n" + "\n".join(lines) + "\n```")
    external = secrets["externalSecrets"]
    if external:
        key = _top_external(external)
        es = external[key]
        store = secrets["secretStores"].get(es["store"]) or next(
            (s for k, s in secrets["secretStores"].items() if k.endswith("/" + es["store"])), None
        )
        lines = [
            f"{(es['provider'] or 'secret store').capitalize()} ({es['vaultServer'] or 'server of the store'})",
            "    │",
        ]
        lines += [
            f"    ├── {e['vaultPath'] or e['vaultKvPath']}" + (f" (property {e['vaultKey']})" if e["vaultKey"] else "")
            for e in es["secrets"][:6]
        ]
        lines += [f"    ├── {k}" for k in es["remoteKeys"][:6]] if not es["secrets"] else []
        auth = (
            f", auth {store['authMethod']}" + (f", role {store['vaultRole']}" if store and store["vaultRole"] else "")
            if store and store["authMethod"]
            else ""
        )
        lines += ["    │", "    ▼", f"{es['storeKind'] or 'SecretStore'} {es['store']}{auth}", "    │", "    ▼"]
        lines += [
            f"ExternalSecret {key}" + (f" (refresh {es['refreshInterval']})" if es["refreshInterval"] else ""),
            "    │",
            "    ▼",
        ]
        lines += [f"Secret {es['k8sSecretName']} (keys {some(es['keys'])})", "    │", "    ▼"]
        lines.append(
            f"Pods read it: {some(es['usedBy'])}"
            if es["usedBy"]
            else "Read by pods (no workload in the repository names it)"
        )
        blocks.append("```\n" + "\n".join(lines) + "\n```")
    if not blocks:
        return (
            "No SecretProviderClass or ExternalSecret in this repository: workloads read Kubernetes "
            "Secrets directly (`secrets` of each service in data/services.json)."
        )
    return "\n\n".join(blocks)


def _secret_table(secrets: dict[str, Any], limit: int) -> str:
    rows = [("SecretProviderClass", k, v) for k, v in secrets["secretProviderClasses"].items()]
    rows += [("ExternalSecret", k, v) for k, v in secrets["externalSecrets"].items()]
    lines = []
    for kind, key, v in rows[:limit]:
        paths = sorted({e["vaultPath"] or e["vaultKvPath"] for e in v["secrets"] if e["vaultPath"] or e["vaultKvPath"]})
        role = v.get("vaultRole", "")  # an ExternalSecret's role is its store's (secretStores)
        lines.append(
            f"| {kind} `{key}` | {cell(v['namespace'])} | {cell(some(paths, 3))} | {cell(role)} | {cell(some(v['usedBy']))} |"
        )
    return capped(lines, len(rows), "data/secrets-map.json", 5)


def _secret_backend_namespace(rows: dict[str, list[Row]]) -> str:
    namespaces = sorted({b["service_namespace"] for b in rows["backends"] if b.get("service_namespace")})
    return namespaces[0] if namespaces else "vault"


def _csi_namespace(helm: dict[str, Any]) -> str:
    for h in helm.values():
        if "secrets-store-csi-driver" in h["chart"]:
            return cast(str, h["deploysTo"] or h["namespace"])
    return "kube-system"


def _secret_check_order(docs: dict[str, Any], rows: dict[str, list[Row]], hub: str | None) -> str:
    secrets = docs["secrets-map"]
    spc = secrets["secretProviderClasses"].get(_top_spc(secrets["secretProviderClasses"]) or "")
    steps = []
    if spc:
        steps.append(f"SecretProviderClass exists: `kubectl get secretproviderclass -n {spc['namespace']}`")
    if rows["backends"]:
        steps.append(
            f"Vault auth working: `kubectl logs -n {_secret_backend_namespace(rows)} -l app.kubernetes.io/name=vault --tail=200 | grep -i auth`"
        )
    if spc:
        steps.append(
            f"CSI driver running: `kubectl get pods -n {_csi_namespace(docs['flux-resources']['helmReleases'])} -l app=secrets-store-csi-driver`"
        )
    if secrets["externalSecrets"]:
        namespace = sorted({e["namespace"] for e in secrets["externalSecrets"].values()})[0]
        steps.append(
            f"ExternalSecrets synced: `kubectl get externalsecret -n {namespace}`, stores: `kubectl get clustersecretstore,secretstore -A`"
        )
    # a pod of the section's subject: the example service when it mounts this class
    services = docs["services"]["services"]
    users = ([hub] if spc and hub in spc["usedBy"] else []) + (spc["usedBy"] if spc else [])
    user = services.get(users[0]) if users else None
    steps.append(
        f"Pod events: `kubectl describe pod -n {user['namespace']} -l app={user['app']}` (look for mount errors)"
        if user and user["app"]
        else "Pod events: `kubectl describe pod <pod> -n <namespace>` (look for mount or secret errors)"
    )
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))


def _sample_configmaps(configs: dict[str, Any]) -> dict[str, Any]:
    """The ConfigMap shown in samples: the one whose keys use the most variables (the
    substitution source itself appears in the substitution flow)."""
    cms = configs["configMaps"]
    if not cms:
        return {}
    key = min(cms, key=lambda k: (-len(cms[k]["variables"]), -len(cms[k]["usedBy"]), k))
    return {key: cms[key]}


def _substitution_example(configs: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(configmap, key, raw, resolved) of the shortest one-line value Flux substitutes."""
    candidates = [
        (len(raw), cm_key, key, raw, cm["resolvedKeys"].get(key, ""))
        for cm_key, cm in configs["configMaps"].items()
        for key, raw in cm["keys"].items()
        if "${" in raw and cm["resolvedKeys"].get(key, raw) != raw and "\n" not in raw
    ]
    return min(candidates)[1:] if candidates else None


def _substitution_flow(configs: dict[str, Any]) -> str:
    subst = configs["variableSubstitution"]
    if not subst["sources"] and not subst["inlineSubstitute"]:
        return "No Flux Kustomization in this repository sets `postBuild`: values in git are applied as written."
    lines = []
    main = next(
        (
            s
            for s in subst["sources"]
            if s["kind"] == "ConfigMap"
            and s["name"] == subst["sourceConfigMap"]
            and s["namespace"] == subst["namespace"]
        ),
        None,
    )
    variables = subst["variables"]
    if main:
        lines += [f"{main['name']} ConfigMap ({main['namespace']})", "    │"]
        defined = [
            (v_key, v)
            for v_key, v in variables.items()
            if f"ConfigMap {main['namespace']}/{main['name']}" in v["definedIn"]
        ]
        lines += [f"    ├── {v_key.split('/')[-1]}: {v['value']}" for v_key, v in defined[:VARIABLES_SHOWN]]
        if len(defined) > VARIABLES_SHOWN:
            lines.append(
                f"    ├── and {len(defined) - VARIABLES_SHOWN} more: `variableSubstitution.variables` in data/configmaps.json"
            )
        lines += ["    │", "    ▼"]
        kustomizations = main["kustomizations"]
    else:
        kustomizations = []
    others = [s for s in subst["sources"] if s is not main]
    for s in others[:4]:
        note = " (values never exported: references stay ${var})" if s["kind"] == "Secret" else ""
        lines.append(f"(also substituteFrom {s['kind']} {s['namespace']}/{s['name']}{note})")
    if subst["inlineSubstitute"]:
        lines.append(f"(inline postBuild.substitute in {some(subst['inlineSubstitute'])})")
    lines += [
        f"Kustomization spec.postBuild.substituteFrom ({plural(len(kustomizations), 'Kustomization')}: {some(kustomizations, 3)})"
        if kustomizations
        else "Kustomization spec.postBuild",
        "    │",
        "    ▼",
    ]
    example = _substitution_example(configs)
    if example:
        cm_key, key, raw, resolved = example
        lines.append(f'Apps reference {raw} → resolved to "{resolved}"')
        lines.append(f"    ({cm_key} {key})")
    else:
        lines.append("Apps reference ${variable} → resolved by Flux before apply")
    # settings (issue 17): fields, env values and Helm values whose text uses a variable
    settings = sorted({(st["object"], st["field"]) for v in variables.values() for st in v.get("settings") or []})
    if settings:
        obj, field = settings[0]
        lines.append(
            f"    ({plural(len(settings), 'field')} of objects use variables, e.g. {obj} {field}; "
            "each variable's `settings` in configmaps.json, `kg ask config VAR`)"
        )
    return "```\n" + "\n".join(lines) + "\n```"


def _config_check_order(docs: dict[str, Any], hub: str | None) -> str:
    configs = docs["configmaps"]
    sample_cms = _sample_configmaps(configs)
    services = docs["services"]["services"]
    subst = configs["variableSubstitution"]
    lines = []
    if sample_cms:
        key, cm = next(iter(sample_cms.items()))
        name = cm["generatedName"] or key.split("/")[-1]
        hashed = " (hashed name of a generated ConfigMap)" if cm["generatedName"] else ""
        lines.append(f"1. Check raw ConfigMap: `kubectl get cm {name} -n {cm['namespace']} -o yaml`{hashed}")
        readers = ([hub] if hub in cm["usedBy"] else []) + cm["usedBy"]
        reader = next((services[s] for s in readers if s in services), None)
        example = _substitution_example({"configMaps": {key: cm}})
        env_key = example[1] if example else next(iter(cm["keys"]), "<KEY>")
    else:
        lines.append("1. Check raw ConfigMap: `kubectl get cm <name> -n <namespace> -o yaml`")
        reader, env_key, cm = None, "<VAR>", None
    if subst["sourceConfigMap"]:
        lines.append(
            f"2. Check {subst['sourceConfigMap']} (source of substitution): `kubectl get cm {subst['sourceConfigMap']} -n {subst['namespace']} -o yaml`"
        )
    else:
        lines.append("2. No substitution source: the value in git is the value applied")
    if reader:
        lines.append(
            f"3. Check pod's actual env: `kubectl exec -n {reader['namespace']} deploy/{reader['deployment']} -- env | grep {env_key}`"
        )
    else:
        lines.append("3. Check pod's actual env: `kubectl exec <pod> -n <namespace> -- env | grep <VAR>`")
    ks = (cm or {}).get("kustomization") or (services.get(hub or "", {}).get("kustomization")) or "<name>"
    lines.append(
        f"4. Check if Kustomization reconciled: `flux get kustomization {ks} -n {_root(docs['flux-resources'])[2]}`"
    )
    return "\n".join(lines)


# How to read what a writer pushed: (push path suffix, query path replacing it)
READ_PATHS = (
    ("/loki/api/v1/push", "/loki/api/v1/query_range"),
    ("/api/v1/push", "/prometheus/api/v1/query"),  # Mimir and Cortex: the Prometheus API under /prometheus
    ("/api/v1/write", "/api/v1/query"),  # Prometheus and VictoriaMetrics
)


def _read_url(url: str) -> str:
    """The query URL beside a push URL; a distributor takes writes only, so its reads go to
    the query-frontend of the same release (the Cortex and Mimir charts' naming)."""
    for push, read in READ_PATHS:
        if url.endswith(push):
            base = url[: -len(push)]
            return re.sub(r"-distributor\.", "-query-frontend.", base) + read
    return ""


def _label_names(row: Row) -> list[str]:
    return [label.split("=")[0] for label in row.get("labels") or []]


def _matchers(row: Row | None, namespace: str, service: dict[str, Any] | None) -> list[str]:
    """The label matchers of a LogQL/PromQL selector, with the labels the pipeline really
    sets (external labels with their values), for the example service."""
    names = _label_names(row) if row else ["namespace", "app"]
    parts = [
        f'{label.split("=")[0]}="{label.split("=", 1)[1]}"' for label in (row or {}).get("labels") or [] if "=" in label
    ]
    if "namespace" in names:
        parts.append(f'namespace="{namespace}"')
    if service and service["app"] and "app" in names:
        parts.append(f'app="{service["app"]}"')
    elif service and "pod" in names:
        parts.append(f'pod=~"{service["deployment"]}-.*"')
    return parts


def _signal_flow(telemetry: list[Row], configs: dict[str, Any]) -> str:
    if not telemetry:
        return (
            "No collector configuration found in the repository (Alloy config, Promtail clients, remoteWrite, "
            "Vector sinks): which store holds which signal, and its tenant, are not known here."
        )
    lines = []
    for (kind, name, key, namespace, file), _ in sorted(
        {
            (r["config_kind"], r["config_name"], r["config_key"], r["config_namespace"], r["config_file"]): 1
            for r in telemetry
        }.items()
    ):
        cm = configs["configMaps"].get(name) or configs["configMaps"].get(f"{namespace}/{name}") or {}
        named = f", named in the values of {', '.join(cm['namedIn'])}" if cm.get("namedIn") else ""
        what = f"{kind} `{name}`" + (f" key `{key}`" if key else "")
        lines.append(f"Collector configuration: {what} (namespace {namespace}, `{file}`{named}).")
    lines += [
        "",
        "| Signal | Collected from | Sent to | Write endpoint | Tenant | Labels |",
        "|--------|----------------|---------|----------------|--------|--------|",
    ]
    for r in telemetry:
        store = f"{r['store']} ({r['store_kind']})"
        tenant = f"`{r['tenant']}` ({r['tenant_header']})" if r["tenant"] else "none"
        lines.append(
            f"| {r['signal']} | {cell(', '.join(r.get('sources') or []))} | {store} | `{r['url']}` | {tenant} "
            f"| {cell(', '.join(r.get('labels') or []))} |"
        )
    tenants = sorted({(r["tenant_header"], r["tenant"]) for r in telemetry if r["tenant"]})
    if tenants:
        header, tenant = tenants[0]
        lines += [
            "",
            f"**Multi-tenancy:** every read names its tenant in the `{header}` header, as the writers do "
            f"(`{tenant}`); without it the store answers `no org id`. In Grafana: the datasource's HTTP header "
            f"`{header}`; with curl: `-H '{header}: {tenant}'`.",
        ]
    reads = []
    for r in telemetry:
        read = _read_url(r["url"])
        if read:
            reads.append(f"| {r['signal']} | {r['store']} | `{read}` |")
    if reads:
        lines += [
            "",
            "| Signal | Datasource | Read endpoint (in-cluster) |",
            "|--------|------------|------------|",
            *dict.fromkeys(reads),
        ]
    return "\n".join(lines)


def _observability_sections(
    docs: dict[str, Any], rows: dict[str, list[Row]], hub: str | None, limit: int
) -> dict[str, str]:
    flux = docs["flux-resources"]
    found = _observability(flux["helmReleases"])
    services = docs["services"]["services"]
    service = services.get(hub or "")
    namespace = service["namespace"] if service else "<namespace>"
    selector = f"app={service['app']}" if service and service["app"] else None
    target = f"-l {selector}" if selector else (f"deploy/{service['deployment']}" if service else "<pod>")
    cluster = service["cluster"] if service else None
    telemetry = [r for r in rows.get("telemetry", []) if cluster is None or r["cluster"] == cluster]
    logs = next((r for r in telemetry if r["signal"] == "logs"), None)
    # container metrics come from the kubelet's cAdvisor: the writer fed by it, else any metrics writer
    metrics = next(
        (
            r
            for r in telemetry
            if r["signal"] == "metrics" and any("cadvisor" in s or "kubelet" in s for s in r.get("sources") or [])
        ),
        next((r for r in telemetry if r["signal"] == "metrics"), None),
    )
    labels = ", ".join(_matchers(logs, namespace, service))
    metric_labels = _matchers(metrics, namespace, None)
    pod = f"{service['deployment']}-.*" if service else ".*"
    metric_selector = ", ".join(
        metric_labels
        + ([] if any(p.startswith("namespace=") for p in metric_labels) else [f'namespace="{namespace}"'])
        + [f'pod=~"{pod}"']
    )
    if found:
        names = sorted({f"{purpose.split(' (')[0]}: {key}" for key, purpose, _ in found})
        intro = f"Observability components deployed by Flux ({len(found)} HelmReleases): " + "; ".join(names) + "."
    else:
        intro = "No observability HelmRelease (Loki, Prometheus, Grafana, Alloy, ...) in this repository: use kubectl for logs and metrics."
    table = [
        f"| **{key}** | {purpose} | `{h['deploysTo'] or h['namespace']}` | {cell(h['chart'])} ({cell(h['chartSource'])}) | `{h['sourceFile']}` |"
        for key, purpose, h in found[:limit]
    ]
    namespaces = {h["deploysTo"] or h["namespace"] for _, _, h in found}
    files: dict[str, str] = {}
    for key, _, h in found:
        if h["sourceFile"]:
            files.setdefault(
                h["sourceFile"],
                f"HelmRelease {key}: chart {h['chart']} values"
                + (f" (+ valuesFrom {', '.join(h['valuesFrom'])})" if h.get("valuesFrom") else ""),
            )
    for key, cm in docs["configmaps"]["configMaps"].items():
        if cm["namespace"] in namespaces and cm["sourceFile"]:
            files.setdefault(cm["sourceFile"], f"ConfigMap {key.split('/')[-1]} ({some(list(cm['keys']), 3)})")
    file_rows = [f"| `{f}` | {cell(what)} |" for f, what in sorted(files.items())[:limit]]
    where_logs = (
        f"{logs['store']}, tenant `{logs['tenant']}`" if logs and logs["tenant"] else (logs["store"] if logs else "")
    )
    no_app = sorted(k for k, s in services.items() if not s["app"] and (cluster is None or s["cluster"] == cluster))
    label_note = (
        f"labels set by {logs['component']}: {', '.join(_label_names(logs))}"
        if logs
        else "label names depend on the collector"
    )
    logql = [
        f"# {hub or 'a service'} ({label_note})" + (f"; datasource {where_logs}" if where_logs else ""),
        f"{{{labels}}}",
        f'{{{labels}}} |= "ERROR"',
        f'{{{labels}}} |~ "connection refused|timeout"',
        f'count_over_time({{{labels}}} |= "ERROR" [5m])',
    ]
    if logs and "app" in _label_names(logs):
        logql.append(
            '# any service of the Service Index: its namespace, and app="SERVICE" (the index\'s service name is its app label)'
            + (f'; no app label, use pod=~"WORKLOAD-.*": {", ".join(no_app)}' if no_app else "")
        )
    where_metrics = (
        f"datasource {metrics['store']}" + (f", tenant `{metrics['tenant']}`" if metrics["tenant"] else "")
        if metrics
        else "a Prometheus-compatible datasource"
    )
    return {
        "observability_intro": intro,
        "observability_table": capped(table, len(found), "data/flux-resources.json", 5),
        "signal_flow": _signal_flow(telemetry, docs["configmaps"]),
        "kubectl_logs": "\n".join(
            [
                f"kubectl logs -n {namespace} {target} --tail=100     # recent logs",
                f"kubectl logs -n {namespace} {target} -f             # follow",
                f"kubectl logs -n {namespace} {target} --previous     # previous container (after a crash)",
            ]
        ),
        "logql": "\n".join(logql),
        "promql": "\n".join(
            [
                f"# {hub or 'a service'}: {where_metrics}",
                f"sum(rate(container_cpu_usage_seconds_total{{{metric_selector}}}[5m]))     # CPU",
                f"sum(container_memory_working_set_bytes{{{metric_selector}}})              # memory",
            ]
        ),
        "example_namespace": namespace,
        "config_files_table": "\n".join(file_rows)
        if file_rows
        else "| - | no observability configuration in the repository |",
    }


def dependency_tree(kustomizations: dict[str, Any]) -> list[str]:
    """The dependsOn graph drawn as a tree: each Kustomization under its deepest
    dependency (ties: by name), its other dependencies noted on its line."""
    nodes = {k: v for k, v in kustomizations.items() if not v.get("root")}
    by_ref: dict[tuple[str, str], str] = {}
    for key, v in nodes.items():
        name = key.split("/")[-1]
        by_ref[(v["cluster"], name)] = by_ref[(v["cluster"], f"{v['namespace']}/{name}")] = key
    deps = {
        key: sorted({by_ref[(v["cluster"], d)] for d in v["dependsOn"] if (v["cluster"], d) in by_ref})
        for key, v in nodes.items()
    }
    depth: dict[str, int] = {}

    def level(key: str, seen: frozenset[str] = frozenset()) -> int:
        if key in depth:
            return depth[key]
        if key in seen:  # a dependsOn cycle: Flux never reconciles it
            return 0
        depth[key] = 1 + max((level(d, seen | {key}) for d in deps[key]), default=-1)
        return depth[key]

    parent = {key: min(deps[key], key=lambda d: (-level(d), d)) for key in sorted(nodes) if deps[key]}
    children: dict[str, list[str]] = {}
    for child, p in sorted(parent.items()):
        children.setdefault(p, []).append(child)

    def note(key: str) -> str:
        cluster = nodes[key]["cluster"]
        others = [d for d in nodes[key]["dependsOn"] if by_ref.get((cluster, d)) != parent.get(key)]
        return f"  (also waits for {', '.join(sorted(others))})" if others else ""

    lines: list[str] = []
    drawn: set[str] = set()

    def draw(key: str, prefix: str, last: bool, top: bool) -> None:
        drawn.add(key)
        lines.append(key + note(key) if top else f"{prefix}{'└──► ' if last else '├──► '}{key}{note(key)}")
        kids = [k for k in children.get(key, []) if k not in drawn]
        below = "    " if top else prefix + ("     " if last else "│    ")
        for i, kid in enumerate(kids):
            draw(kid, below, i == len(kids) - 1, False)

    for root in sorted(k for k in nodes if k not in parent and k in children):
        draw(root, "", True, True)
    alone = sorted(k for k in nodes if k not in parent and k not in children)
    if alone:
        lines.append(f"no dependsOn: {', '.join(alone)}")
    cycle = sorted(set(nodes) - drawn - set(alone))
    if cycle:
        lines.append(f"in a dependsOn cycle (never reconciled): {', '.join(cycle)}")
    return lines


def _dependency_sections(
    docs: dict[str, Any], rows: dict[str, list[Row]], hub: str | None, limit: int, tree_lines: int
) -> dict[str, str]:
    flux = docs["flux-resources"]
    services = docs["services"]["services"]
    root_key = _root(flux)[0]
    tree = dependency_tree(flux["kustomizations"])
    if len(tree) > tree_lines:
        tree = tree[:tree_lines] + [
            f"... {len(tree) - tree_lines} more lines: see dependsOn in data/flux-resources.json"
        ]
    header = (
        [f"{root_key} (root: applies the Kustomizations below)", ""]
        if any(k.get("root") for k in flux["kustomizations"].values())
        else []
    )
    # Services charts would make (not in the index): who calls each
    release_callers: dict[tuple[str, str], list[str]] = {}
    for key, s in services.items():
        for target, release in s.get("helmReleaseCalls", {}).items():
            release_callers.setdefault((target, release), []).append(key)
    released = [
        f"- `{target}` (HelmRelease {release}): {', '.join(sorted(callers))}"
        for (target, release), callers in sorted(release_callers.items())
    ]
    # infrastructure dependencies, from what the graph holds
    infra = []
    secrets = docs["secrets-map"]
    for b in rows["backends"]:
        served = ", ".join(sorted(b.get("served_by") or []))
        users = sorted(set(b.get("users") or []))
        check = (
            f"`kubectl get pods -n {b['service_namespace']}`"
            if b.get("service_namespace")
            else f"reach `{b.get('address')}` from the cluster"
        )
        infra.append(
            f"| **Secrets of {plural(len(users), 'service')}** ({cell(some(users, 3))}) "
            f"| {b.get('backend_type') or 'secret server'} {b['name']} `{b.get('address') or ''}`{' (' + served + ')' if served else ''} | {check} |"
        )
    if secrets["secretProviderClasses"]:
        infra.append(
            f"| **SecretProviderClass mounts** | Secrets Store CSI driver | `kubectl get pods -n {_csi_namespace(flux['helmReleases'])} -l app=secrets-store-csi-driver` |"
        )
    if secrets["externalSecrets"]:
        infra.append(
            "| **ExternalSecrets** | External Secrets Operator | `kubectl get pods -A -l app.kubernetes.io/name=external-secrets` |"
        )
    charts = {h["chart"].lower(): (key, h) for key, h in flux["helmReleases"].items()}
    for pattern, label, check in MESH:
        if any(pattern in chart for chart in charts):
            infra.append(f"| **All meshed apps** | {label} | `{check}` |")
    if any("cert-manager" in chart for chart in charts):
        infra.append("| **Ingress TLS** | cert-manager | `kubectl get certificates -A` |")
    for key, purpose, h in _observability(flux["helmReleases"]):
        if purpose.startswith("Collection agent"):
            infra.append(
                f"| **Metrics and logs** | {key} (collector) | `kubectl logs -n {h['deploysTo'] or h['namespace']} -l app.kubernetes.io/name={h['chart']}` |"
            )
    subst = docs["configmaps"]["variableSubstitution"]
    if subst["sourceConfigMap"]:
        main: dict[str, Any] = next(
            (s for s in subst["sources"] if s["name"] == subst["sourceConfigMap"]), {"kustomizations": []}
        )
        infra.append(
            f"| **{plural(len(main['kustomizations']), 'Kustomization')}** | ConfigMap {subst['sourceConfigMap']} (postBuild.substituteFrom) "
            f"| `kubectl get cm {subst['sourceConfigMap']} -n {subst['namespace']}` |"
        )
    # connectivity checks for the service that calls the most others
    caller = min(services, key=lambda k: (-len(services[k]["calls"]), k)) if services else None
    checks = []
    if caller and services[caller]["calls"]:
        checks.append(f"   # {caller}'s dependencies: does each have ready endpoints?")
        checks += [
            f"   kubectl get endpoints {t.split('/')[1]} -n {t.split('/')[0]}" for t in services[caller]["calls"][:4]
        ]
    else:
        checks.append("   kubectl get endpoints <service> -n <namespace>")
    checks.append("   # with kg and the loaded graph at hand (kg load): what else breaks if it fails")
    checks.append(f"   kg ask blast-radius {hub or '<name>'}")
    return {
        "dependency_tree": "\n".join(header + tree) if tree else "No Kustomization declares dependsOn.",
        "infra_dependency_table": "\n".join(infra)
        if infra
        else "| - | no shared infrastructure found in the repository | - |",
        "released_services": (
            "Services that charts make (no manifest in the repository; inferred from the HelmRelease), and their callers:\n\n"
            + "\n".join(released)
            if released
            else "No service calls a Service that only a chart makes."
        ),
        "flux_namespace": _root(flux)[2],
        "connectivity_checks": "\n".join(checks),
    }


# -- the two files -------------------------------------------------------------------
def guide(docs: dict[str, Any], rows: dict[str, list[Row]], meta: dict[str, Any]) -> str:
    for limit, tree_lines, index_rows in LIMITS:
        text = _guide(docs, rows, meta, limit, tree_lines, index_rows)
        if len(text.splitlines()) < MAX_LINES:
            break
    return text  # still too long: the export refuses it


def _guide(
    docs: dict[str, Any], rows: dict[str, list[Row]], meta: dict[str, Any], limit: int, tree_lines: int, index_rows: int
) -> str:
    c = _counts(docs)
    services = docs["services"]["services"]
    flux = docs["flux-resources"]
    secrets = docs["secrets-map"]
    configs = docs["configmaps"]
    hub = _hub(services)
    repo = meta["generatedFrom"]
    clusters = ", ".join(meta["clusters"]) or "none"
    description = (
        f"Infrastructure guide for the Flux CD repository {repo} (clusters: {clusters}): where each of its "
        f"{plural(c['services'], 'service')} runs (namespace, workload, Flux path and Kustomization), the {c['kustomizations']} "
        f"Kustomizations and {plural(c['helm'], 'HelmRelease')} that deploy them with their dependsOn order, how secrets "
        "(Vault, CSI, External Secrets) and ConfigMap values reach each workload, and where to look for logs and "
        "metrics. Use it to debug and operate these clusters, when asked: " + ", ".join(GUIDE_TRIGGERS) + "."
    )
    if len(description) > 1024:  # a very long cluster list: keep the rest
        description = description.replace(f" (clusters: {clusters})", f" ({len(meta['clusters'])} clusters)")
    counts = (
        f"{plural(c['services'], 'service')} in {plural(c['namespaces'], 'namespace')}, "
        f"{plural(c['kustomizations'], 'Kustomization')}, {plural(c['helm'], 'HelmRelease')}, "
        f"{plural(c['spcs'], 'SecretProviderClass', 'SecretProviderClasses')}, {plural(c['external'], 'ExternalSecret')} "
        f"and {plural(c['configmaps'], 'ConfigMap')}"
    )
    subst = configs["variableSubstitution"]
    slots = {
        "frontmatter": frontmatter(GUIDE, description, meta),
        "repo": repo,
        "clusters": _clusters_text(meta),
        "revision": (meta["gitRevision"] or "unknown")[:12],
        "generated_at": meta["generatedAt"],
        "counts": counts,
        "services_fields": field_list("data/services.json", {"services": services}),
        "service_index": _service_index(services, flux["helmReleases"], index_rows),
        "service_index_note": _service_index_note(flux["helmReleases"]),
        "namespace_table": _namespace_table(rows["namespaces"], limit),
        "flux_counts": f"{plural(c['kustomizations'], 'Kustomization')}, {plural(c['helm'], 'HelmRelease')}, {plural(c['sources'], 'source')}",
        "flux_fields": field_list(
            "data/flux-resources.json", {k: v for k, v in flux.items() if isinstance(v, dict) and k != "metadata"}
        ),
        "helm_table": _helm_table(flux["helmReleases"], limit),
        "flux_check_order": _flux_check_order(docs, hub),
        "render_problems": _render_problems(flux) + _live_status(flux),
        "secret_counts": (
            f"{plural(c['spcs'], 'SecretProviderClass', 'SecretProviderClasses')}, {plural(c['external'], 'ExternalSecret')}, "
            f"{plural(c['stores'], 'SecretStore')}"
        ),
        "secrets_fields": field_list(
            "data/secrets-map.json", {k: v for k, v in secrets.items() if isinstance(v, dict) and k != "metadata"}
        ),
        "secret_flow": _secret_flow(docs, rows),
        "secret_table": _secret_table(secrets, limit),
        "secret_check_order": _secret_check_order(docs, rows, hub),
        "config_counts": f"{plural(c['configmaps'], 'ConfigMap')}, {plural(c['variables'], 'substitution variable')} ({subst['mechanism']})",
        "config_fields": field_list(
            "data/configmaps.json", {"configMaps": configs["configMaps"], "variableSubstitution": subst}
        ),
        "substitution_flow": _substitution_flow(configs),
        "config_check_order": _config_check_order(docs, hub),
        **_observability_sections(docs, rows, hub, limit),
        **_dependency_sections(docs, rows, hub, limit, tree_lines),
    }
    return fill(_template("flux-infra-guide"), slots)


def regenerate(docs: dict[str, Any], meta: dict[str, Any], clusters: list[str] | None) -> str:
    c = _counts(docs)
    repo = meta["generatedFrom"]
    description = (
        f"Regenerate the flux-infra-guide skill (SKILL.md and its data files) from the Flux repository {repo} with "
        "kg: kg load, then kg export --check and kg export, instead of scanning YAML by hand. Use when the guide "
        "looks stale or is missing something, or when asked: " + ", ".join(REGENERATE_TRIGGERS) + "."
    )
    cluster_options = "".join(f" --cluster {shlex.quote(name)}" for name in sorted(clusters or []))
    slots = {
        "frontmatter": frontmatter(REGENERATE, description, meta),
        "repo": shlex.quote(repo),
        "flux_repo_path": shlex.quote(meta["fluxRepoPath"] or "PATH-TO-FLUX-REPO"),
        "flux_repo_url": meta.get("fluxRepoUrl") or "no git remote",
        "revision": (meta["gitRevision"] or "unknown")[:12],
        "clusters": ", ".join(meta["clusters"]) or "none",
        "generated_at": meta["generatedAt"],
        "cluster_options": cluster_options,
        "services_count": f"{plural(c['services'], 'service')} mapped",
        "flux_count": f"{plural(c['kustomizations'], 'Kustomization')}, {plural(c['helm'], 'HelmRelease')}",
        "secrets_count": f"{plural(c['spcs'], 'SecretProviderClass', 'SecretProviderClasses')}, {plural(c['external'], 'ExternalSecret')}",
        "configmaps_count": f"{plural(c['configmaps'], 'ConfigMap')}, {plural(c['variables'], 'variable')}",
    }
    return fill(_template("flux-infra-guide-regenerate"), slots)
