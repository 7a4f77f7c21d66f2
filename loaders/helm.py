"""Rendering HelmReleases like helm-controller: chart from its Flux source, values in
Flux's order, release name and namespaces, CRD policy, post-renderers, `helm template`.

Input is the HelmRelease as Flux applies it (after kustomize patches and post-build
substitution) and the source objects the cluster renders; output is one ReleaseRender
per release: the objects the chart renders, each with its template file, or an `error`
naming the release. Nothing here raises for a bad release: failures are values.

Speed: charts come from a disk cache (loaders/charts.py) and are fetched at most once
per load; renders are keyed by content (chart digest, values, settings), so identical
releases render once; releases render in parallel on a small thread pool.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .charts import (
    ChartCache,
    ChartError,
    ChartSource,
    FetchedChart,
    helm_error_line,
    is_exact_version,
    read_chart_file,
    run_command,
)
from .limits import tools_dir
from .model import as_dict
from .yamlio import dump, load_documents

HELM_GROUP = "helm.toolkit.fluxcd.io"
DEFAULT_HELM_VERSION = "v4.3.2"  # what scripts/helm-local builds
MAX_RELEASE_NAME = 53  # Helm's limit on release names
NO_HELM = "no helm binary (install helm v3/v4, or run scripts/helm-local install)"

# ConfigMap/Secret data of the cluster: (kind, namespace, name) -> {key: value} or None
# when the object does not exist. A Secret's values are never read by kg: a lookup may
# return its keys with None values, and such values are left out with a note.
ValuesLookup = Callable[[str, str, str], "dict[str, str | None] | None"]
# ("GitRepository/flux-system/flux-system", "./charts/app") -> local chart folder or None
ChartDirResolver = Callable[[str, str], "Path | str | None"]


@dataclass
class ReleaseRender:
    release: str  # "namespace/name" of the HelmRelease
    chart: str  # resolved chart name
    version: str  # exact chart version rendered
    source: str  # source URL (repository, OCI reference or local folder)
    objects: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (object, "chart/templates/x.yaml")
    error: str = ""  # why nothing was rendered ("" when rendered)
    # the step that failed: "source" (its chart source cannot be resolved), "values",
    # "no-helm", "fetch" (chart not to be had: network, 404, auth, offline), "template",
    # "post-render"; lets a caller report one warning per chart source, not per release
    stage: str = ""
    cached: bool = False  # the chart came from the chart cache (no fetch)
    release_name: str = ""  # Helm release name (the 53-character rule applied)
    namespace: str = ""  # release namespace: objects without metadata.namespace land there
    storage_namespace: str = ""
    digest: str = ""  # chart digest (archive sha256, OCI manifest digest, folder digest)
    source_ref: str = ""  # "Kind/namespace/name" of the Flux source object
    notes: list[str] = field(default_factory=list)  # non-fatal: values left out, documents skipped
    render_cached: bool = False  # an identical render earlier in this load was reused
    seconds: float = 0.0  # time in helm template and post-rendering for this release


@dataclass
class ChartPull:
    """One chart `kg charts pull` fetched (or found cached), with the releases using it."""

    chart: str
    version: str
    source: str
    digest: str = ""
    path: str = ""
    cached: bool = False
    error: str = ""
    releases: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helm binary


def _helm_major(binary: str) -> str:
    try:
        out = subprocess.run([binary, "version", "--short"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    m = re.match(r"\s*(v\d+)\.", out or "")
    return m.group(1) if m else ""


_FOUND_HELM: dict[tuple[str, str, str], str] = {}  # only hits are kept: a later build is found


def _find_helm(kg_helm: str, path_env: str, tools_dir: str) -> str | None:
    key = (kg_helm, path_env, tools_dir)
    if key in _FOUND_HELM and os.access(_FOUND_HELM[key], os.X_OK):
        return _FOUND_HELM[key]
    if kg_helm:
        candidates = [Path(kg_helm)]
    else:
        on_path = shutil.which("helm", path=path_env)
        built = Path(tools_dir) / f"helm-{DEFAULT_HELM_VERSION}" / "helm"
        others = sorted(Path(tools_dir).glob("helm-v*/helm"), reverse=True)
        candidates = ([Path(on_path)] if on_path else []) + [built] + others
    for candidate in candidates:
        if os.access(candidate, os.X_OK) and _helm_major(str(candidate)) in ("v3", "v4"):
            _FOUND_HELM[key] = str(candidate)
            return str(candidate)
    return None


def find_helm() -> str | None:
    """The helm binary to use: KG_HELM when set (only it, then), else `helm` on PATH when
    it is v3/v4, else scripts/helm-local's cached build; None when there is none."""
    return _find_helm(os.environ.get("KG_HELM", ""), os.environ.get("PATH", ""), str(tools_dir()))


def default_cache_dir() -> Path:
    return Path(os.environ.get("KG_CHART_CACHE") or Path.home() / ".cache" / "flux-kg" / "charts")


# --------------------------------------------------------------------------- names


def release_name(hr: dict[str, Any]) -> str:
    """`spec.releaseName` as written, else `[targetNamespace-]name`; a composed name longer
    than 53 characters becomes its first 40 characters, a dash and the first 12 hex digits
    of its SHA-256, as helm-controller shortens it (the API caps releaseName at 53)."""
    spec = _dict(hr.get("spec"))
    if spec.get("releaseName"):
        return str(spec["releaseName"])
    name = str(_dict(hr.get("metadata")).get("name") or "")
    target = spec.get("targetNamespace")
    composed = f"{target}-{name}" if target else name
    if len(composed) > MAX_RELEASE_NAME:
        composed = f"{composed[:40]}-{hashlib.sha256(composed.encode()).hexdigest()[:12]}"
    return composed


def hr_namespace(hr: dict[str, Any]) -> str:
    return str(_dict(hr.get("metadata")).get("namespace") or "default")


def hr_id(hr: dict[str, Any]) -> str:
    return f"{hr_namespace(hr)}/{_dict(hr.get('metadata')).get('name') or '?'}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --------------------------------------------------------------------------- values


class ValuesError(Exception):
    """valuesFrom could not be composed (Flux fails the release there too)."""


def merge_maps(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Flux's values merge: maps merge key by key, recursively; any other value (lists,
    scalars, null) from `override` replaces the base's."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_maps(out[key], value)
        else:
            out[key] = value
    return out


def _typed(text: str, as_string: bool) -> Any:
    """A `--set` value as Helm types it: true/false/null, integers (no leading zero),
    else the string."""
    if as_string:
        return text
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and re.fullmatch(r"[+-]?\d+", text):
        value = int(text)
        if -(2**63) <= value < 2**63:
            return value
    return text


class _SetParser:
    """Helm's `--set` syntax (`a.b[0].c=v,d={x,y}`, `\\` escapes), used by Flux for
    valuesFrom `targetPath`. `literal` reads the whole rest as one string value, as
    `--set-literal` does."""

    MAX_INDEX = 65536
    MAX_NESTING = 30

    def __init__(self, text: str, as_string: bool = False, literal: bool = False) -> None:
        self.text, self.pos, self.as_string, self.literal = text, 0, as_string, literal

    def _until(self, stops: str) -> tuple[str, str | None]:
        """Characters up to one of `stops` (consumed; None at the end), with escapes."""
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch in stops:
                return "".join(out), ch
            if ch == "\\" and self.pos < len(self.text):
                out.append(self.text[self.pos])
                self.pos += 1
                continue
            out.append(ch)
        return "".join(out), None

    def parse_into(self, dest: dict[str, Any]) -> None:
        while self._key(dest, 0):
            pass

    def _value(self) -> tuple[Any, bool]:
        """The value after `=`: (value, more assignments follow)."""
        if self.literal:
            rest, self.pos = self.text[self.pos :], len(self.text)
            return rest, False
        if self.pos >= len(self.text):
            return "", False
        if self.text[self.pos] == "{":
            self.pos += 1
            items: list[Any] = []
            while True:
                item, stop = self._until(",}")
                if stop is None:
                    raise ValueError("list must terminate with '}'")
                items.append(_typed(item, self.as_string))
                if stop == "}":
                    more = self.pos < len(self.text) and self.text[self.pos] == ","
                    self.pos += 1 if more else 0
                    return items, more
        raw, stop = self._until(",")
        return _typed(raw, self.as_string), stop is not None

    def _key(self, data: dict[str, Any], depth: int) -> bool:
        """One assignment into `data`; False at the end of the text."""
        key, stop = self._until("=[,.")
        if stop is None:
            if key:
                raise ValueError(f"key {key!r} has no value")
            return False
        if stop == "=":
            value, more = self._value()
            if key:
                data[key] = value
            return more
        if stop == ",":
            raise ValueError(f"key {key!r} has no value (cannot end with ,)")
        if stop == ".":
            if depth + 1 > self.MAX_NESTING:
                raise ValueError(f"value name nested deeper than {self.MAX_NESTING} levels")
            inner = data.get(key, {})
            if not isinstance(inner, dict):
                raise ValueError(f"unable to parse key: {key!r} is not a map")
            more = self._key(inner, depth + 1)
            if not inner:
                raise ValueError(f"key map {key!r} has no value")
            data[key] = inner
            return more
        # "[": a list index
        index_text, _ = self._until("]")
        if not index_text.strip().lstrip("-").isdigit():
            raise ValueError(f"error parsing index: {index_text!r}")
        current = data.get(key, [])
        if not isinstance(current, list):
            raise ValueError(f"unable to parse key: {key!r} is not a list")
        current, more = self._list_item(current, int(index_text), depth)
        data[key] = current
        return more

    def _list_item(self, items: list[Any], index: int, depth: int) -> tuple[list[Any], bool]:
        if index < 0:
            raise ValueError(f"negative {index} index not allowed")
        if index > self.MAX_INDEX:
            raise ValueError(f"index of {index} is greater than maximum supported index of {self.MAX_INDEX}")
        items = items + [None] * (index + 1 - len(items)) if len(items) <= index else list(items)
        rest, stop = self._until("[.=")
        if rest:
            raise ValueError(f"unexpected data at end of array index: {rest!r}")
        if stop is None:
            return items, False
        if stop == "=":
            items[index], more = self._value()
            return items, more
        if stop == "[":
            nested_index, _ = self._until("]")
            if not nested_index.strip().isdigit():
                raise ValueError(f"error parsing index: {nested_index!r}")
            nested = items[index] if isinstance(items[index], list) else []
            items[index], more = self._list_item(nested, int(nested_index), depth)
            return items, more
        inner = items[index] if isinstance(items[index], dict) else {}
        more = self._key(inner, depth)
        items[index] = inner
        return items, more


def set_path_value(values: dict[str, Any], path: str, raw: str, literal: bool = False) -> None:
    """Put a valuesFrom value at `targetPath` the way helm-controller does: through Helm's
    `--set` parser; a single- or double-quoted value is kept as a string (quotes removed);
    `literal` keeps the value verbatim (`--set-literal`). Raises ValueError."""
    if literal:
        _SetParser(f"{path}={raw}", literal=True).parse_into(values)
        return
    quoted = (raw.startswith("'") and raw.endswith("'")) or (raw.startswith('"') and raw.endswith('"'))
    if quoted and raw:
        _SetParser(f"{path}={raw.strip(chr(39) + chr(34))}", as_string=True).parse_into(values)
    else:
        _SetParser(f"{path}={raw}").parse_into(values)


def compose_values(hr: dict[str, Any], values_lookup: ValuesLookup | None) -> tuple[dict[str, Any], list[str]]:
    """The values helm-controller passes to Helm: each `valuesFrom` in order (merged at the
    root, or set at `targetPath`), then inline `spec.values` merged on top.
    Returns (values, notes); raises ValuesError where Flux would fail the release."""
    spec = _dict(hr.get("spec"))
    namespace = hr_namespace(hr)
    result: dict[str, Any] = {}
    notes: list[str] = []
    for ref in spec.get("valuesFrom") or []:
        if not isinstance(ref, dict):
            continue
        kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
        key = str(ref.get("valuesKey") or "values.yaml")
        optional = bool(ref.get("optional"))
        where = f"{kind} {namespace}/{name}"
        if kind not in ("ConfigMap", "Secret"):
            raise ValuesError(f"valuesFrom: unsupported kind {kind!r} ({name})")
        data = values_lookup(kind, namespace, name) if values_lookup else None
        if data is None:
            if optional:
                notes.append(f"valuesFrom {where} not found (optional): skipped")
                continue
            if kind == "Secret":
                # Secrets are often made in the cluster (ExternalSecrets, SOPS): render without
                notes.append(f"valuesFrom {where} not found in the repository: its values are left out")
                continue
            raise ValuesError(f"valuesFrom {where} not found")
        if key not in data:
            if optional:
                notes.append(f"valuesFrom {where} has no key {key!r} (optional): skipped")
                continue
            raise ValuesError(f"valuesFrom {where} has no key {key!r}")
        raw = data[key]
        if raw is None:  # the key exists but its value is not known to kg (Secret)
            notes.append(f"valuesFrom {where} key {key!r}: Secret values are not read by kg, left out")
            continue
        target = str(ref.get("targetPath") or "")
        if target:
            try:
                set_path_value(result, target, str(raw), literal=bool(ref.get("literal")))
            except ValueError as exc:
                raise ValuesError(f"valuesFrom {where} targetPath {target!r}: {exc}") from None
            continue
        try:
            parsed = yaml.safe_load(str(raw)) if str(raw).strip() else {}
        except yaml.YAMLError as exc:
            raise ValuesError(f"valuesFrom {where} key {key!r}: invalid YAML: {_first_line(str(exc))}") from None
        if parsed is None:
            parsed = {}
        if not isinstance(parsed, dict):
            raise ValuesError(f"valuesFrom {where} key {key!r}: not a YAML mapping")
        result = merge_maps(result, parsed)
    inline = spec.get("values")
    if inline is not None and not isinstance(inline, dict):
        raise ValuesError("spec.values is not a mapping")
    return merge_maps(result, inline or {}), notes


def values_lookup_from(objects: Iterable[dict[str, Any]]) -> ValuesLookup:
    """A ValuesLookup over rendered objects: ConfigMaps give their `data`; Secrets give
    their key names only (values None), since kg never reads a Secret's values."""
    found: dict[tuple[str, str, str], dict[str, str | None]] = {}
    for obj in objects:
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if kind not in ("ConfigMap", "Secret"):
            continue
        md = _dict(obj.get("metadata"))
        key = (str(kind), str(md.get("namespace") or "default"), str(md.get("name") or ""))
        if kind == "ConfigMap":
            found[key] = {str(k): "" if v is None else str(v) for k, v in _dict(obj.get("data")).items()}
        else:
            names = list(_dict(obj.get("data"))) + list(_dict(obj.get("stringData")))
            found[key] = {str(k): None for k in names}
    return lambda kind, namespace, name: found.get((kind, namespace, name))


def _first_line(text: str) -> str:
    return " ".join(text.strip().splitlines()[:1])[:200]


# --------------------------------------------------------------------------- sources


def _index_sources(sources: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    index: dict[tuple[str, str, str], dict[str, Any]] = {}
    for obj in sources:
        if isinstance(obj, dict) and obj.get("kind"):
            md = _dict(obj.get("metadata"))
            index[(str(obj["kind"]), str(md.get("namespace") or "default"), str(md.get("name") or ""))] = obj
    return index


def _oci_source(spec: dict[str, Any], source_id: str) -> ChartSource:
    """An OCIRepository spec (a chartRef target, or spec.chart with kind OCIRepository)."""
    url = str(spec.get("url") or "").rstrip("/")
    if not url.startswith("oci://"):
        raise ChartError(f"{source_id}: url {url!r} is not an oci:// URL")
    ref = _dict(spec.get("ref"))
    chart = url.rsplit("/", 1)[-1]
    insecure = bool(spec.get("insecure"))
    # OCIRepository precedence: digest, then semver, then tag (default `latest`)
    if ref.get("digest"):
        return ChartSource(
            "oci", url, chart, digest=str(ref["digest"]), semver=False, insecure=insecure, source=source_id
        )
    if ref.get("semver"):
        return ChartSource(
            "oci", url, chart, version=str(ref["semver"]), semver=True, insecure=insecure, source=source_id
        )
    return ChartSource(
        "oci", url, chart, version=str(ref.get("tag") or "latest"), semver=False, insecure=insecure, source=source_id
    )


def _helmchart_source(
    chart_spec: dict[str, Any],
    namespace: str,
    by_key: dict[tuple[str, str, str], dict[str, Any]],
    resolver: ChartDirResolver | None,
    ref_namespace_allowed: bool = True,
) -> ChartSource:
    """A HelmChart spec (HelmRelease spec.chart.spec, or a HelmChart object's spec)."""
    chart = str(chart_spec.get("chart") or "")
    version = str(chart_spec.get("version") or "*")
    ref = _dict(chart_spec.get("sourceRef"))
    kind = str(ref.get("kind") or "HelmRepository")
    ref_ns = str(ref.get("namespace") or namespace) if ref_namespace_allowed else namespace
    source_id = f"{kind}/{ref_ns}/{ref.get('name') or '?'}"
    values_files = [str(v) for v in chart_spec.get("valuesFiles") or [] if v]
    if chart_spec.get("valuesFile") and not values_files:  # the deprecated single field
        values_files = [str(chart_spec["valuesFile"])]
    if not chart:
        raise ChartError("spec.chart.spec.chart is empty")
    if not ref.get("name"):
        raise ChartError("spec.chart.spec.sourceRef has no name")
    source = by_key.get((kind, ref_ns, str(ref["name"])))
    if kind == "HelmRepository":
        if source is None:
            raise ChartError(f"{source_id} is not defined in the cluster")
        spec = _dict(source.get("spec"))
        url = str(spec.get("url") or "").rstrip("/")
        if spec.get("type") == "oci" or url.startswith("oci://"):
            if not url.startswith("oci://"):
                url = "oci://" + url.split("://", 1)[-1]
            exact = is_exact_version(version)
            return ChartSource(
                "oci",
                f"{url}/{chart}",
                chart,
                version=version,
                semver=not exact,
                insecure=bool(spec.get("insecure")),
                source=source_id,
                values_files=tuple(values_files),
            )
        if not url.startswith(("http://", "https://")):
            raise ChartError(f"{source_id}: unsupported repository URL {url!r}")
        return ChartSource("http", url, chart, version=version, source=source_id, values_files=tuple(values_files))
    if kind in ("GitRepository", "Bucket"):
        folder = resolver(source_id, chart) if resolver else None
        if not folder:
            why = (
                "Buckets are not read by kg" if kind == "Bucket" else "not this repository, or the path does not exist"
            )
            raise ChartError(f"chart path {chart!r} of {source_id} cannot be read ({why})")
        folder = Path(folder)
        return ChartSource("local", str(folder), folder.name, source=source_id, values_files=tuple(values_files))
    raise ChartError(f"unsupported chart sourceRef kind {kind!r}")


def chart_source(
    hr: dict[str, Any], by_key: dict[tuple[str, str, str], dict[str, Any]], resolver: ChartDirResolver | None
) -> ChartSource:
    """Where the release's chart comes from, as helm-controller reads it. Raises ChartError."""
    spec = _dict(hr.get("spec"))
    namespace = hr_namespace(hr)
    chart_ref = _dict(spec.get("chartRef"))
    if chart_ref:
        kind = str(chart_ref.get("kind") or "")
        ref_ns = str(chart_ref.get("namespace") or namespace)
        source_id = f"{kind}/{ref_ns}/{chart_ref.get('name') or '?'}"
        source = by_key.get((kind, ref_ns, str(chart_ref.get("name") or "")))
        if kind not in ("OCIRepository", "HelmChart"):
            raise ChartError(f"chartRef kind {kind!r} is not rendered by kg ({source_id})")
        if source is None:
            raise ChartError(f"{source_id} is not defined in the cluster")
        if kind == "OCIRepository":
            return _oci_source(_dict(source.get("spec")), source_id)
        # a HelmChart reads its sourceRef in its own namespace
        inner = _helmchart_source(_dict(source.get("spec")), ref_ns, by_key, resolver, ref_namespace_allowed=False)
        return dataclasses.replace(inner, source=f"{source_id} ({inner.source})")
    chart = _dict(spec.get("chart"))
    if not chart:
        raise ChartError("neither spec.chart nor spec.chartRef is set")
    if chart.get("kind") == "OCIRepository":  # chart template creating an OCIRepository
        return _oci_source(
            _dict(chart.get("spec")), f"OCIRepository/{namespace}/{namespace}-{_dict(hr.get('metadata')).get('name')}"
        )
    return _helmchart_source(_dict(chart.get("spec")), namespace, by_key, resolver)


def referenced_source(hr: dict[str, Any]) -> str:
    """The source object the HelmRelease names, as `Kind/namespace/name`: its chartRef, its
    chart template's sourceRef, or the OCIRepository its chart template creates."""
    spec = _dict(hr.get("spec"))
    namespace = hr_namespace(hr)
    chart_ref = _dict(spec.get("chartRef"))
    if chart_ref:
        return (
            f"{chart_ref.get('kind') or '?'}/{chart_ref.get('namespace') or namespace}/{chart_ref.get('name') or '?'}"
        )
    chart = _dict(spec.get("chart"))
    if chart.get("kind") == "OCIRepository":
        return f"OCIRepository/{namespace}/{namespace}-{_dict(hr.get('metadata')).get('name') or '?'}"
    ref = _dict(_dict(chart.get("spec")).get("sourceRef"))
    if not ref:
        return ""
    return f"{ref.get('kind') or 'HelmRepository'}/{ref.get('namespace') or namespace}/{ref.get('name') or '?'}"


# --------------------------------------------------------------------------- rendering


_SOURCE_COMMENT = re.compile(r"^# Source: (.+?)\s*$", re.M)
_DOC_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.M)


def parse_manifests(text: str) -> tuple[list[tuple[dict[str, Any], str]], list[str]]:
    """`helm template` output -> (object, template file) pairs; documents that do not
    parse are reported in notes, their neighbours kept."""
    objects: list[tuple[dict[str, Any], str]] = []
    notes: list[str] = []
    for chunk in _DOC_SPLIT.split(text):
        if not chunk.strip():
            continue
        found = _SOURCE_COMMENT.search(chunk)
        template = found.group(1) if found else ""
        docs, warnings = load_documents(chunk, template or "<helm output>")
        notes.extend(f"{w.file}: {w.reason}" for w in warnings)
        for _, doc in docs:
            is_list = (
                isinstance(doc, dict) and str(doc.get("kind")).endswith("List") and isinstance(doc.get("items"), list)
            )
            for item in doc["items"] if is_list else [doc]:
                if isinstance(item, dict) and item.get("kind"):
                    objects.append((item, template))
                elif item is not None:
                    notes.append(f"{template or '<helm output>'}: not a Kubernetes object, left out")
    return objects, notes


def _identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    api = str(obj.get("apiVersion") or "")
    group = api.split("/", 1)[0] if "/" in api else ""
    md = _dict(obj.get("metadata"))
    return (group, str(obj.get("kind") or ""), str(md.get("namespace") or ""), str(md.get("name") or ""))


def crds_included(hr: dict[str, Any]) -> bool:
    """CRDs from the chart's crds/ folder are rendered unless install.crds is Skip and
    upgrade.crds does not explicitly create them (both default to Create)."""
    spec = _dict(hr.get("spec"))
    install = str(_dict(spec.get("install")).get("crds") or "Create")
    upgrade = str(_dict(spec.get("upgrade")).get("crds") or "")
    return install != "Skip" or upgrade in ("Create", "CreateReplace")


def _set_metadata(objects: list[tuple[dict[str, Any], str]], field_name: str, entries: dict[str, Any]) -> None:
    for obj, _ in objects:
        md = obj.setdefault("metadata", {})
        if not isinstance(md, dict):
            continue
        current = as_dict(md.get(field_name))
        md[field_name] = {**current, **{str(k): str(v) for k, v in entries.items()}}


class HelmRenderer:
    """Renders HelmReleases for one load. Create one per load: its caches (charts fetched,
    renders done) live as long as it does."""

    def __init__(
        self,
        helm: str | None,
        cache_dir: Path | None = None,
        offline: bool = False,
        workers: int = 2,
        kube_version: str | None = None,
        api_versions: Iterable[str] = (),
        template_timeout: float | None = None,
        fetch_timeout: float = 120.0,
    ) -> None:
        self.helm = helm
        self.cache = ChartCache(Path(cache_dir) if cache_dir else default_cache_dir(), helm, offline, fetch_timeout)
        self.offline = offline
        self.workers = max(1, workers)
        self.kube_version = kube_version
        self.api_versions = tuple(api_versions)
        # helm template and the post-renderer's kustomize run under kg's build limits
        # (KG_BUILD_TIMEOUT, KG_BUILD_MEMORY_MB: loaders/limits.py) unless told otherwise
        self.template_timeout = template_timeout if template_timeout is not None else _build_timeout()
        self._renders: dict[str, Any] = {}
        self._renders_lock = threading.Lock()
        self._render_locks: dict[str, threading.Lock] = {}
        self.helm_seconds = 0.0  # wall time inside `helm template` (summed over threads)
        self.kustomize_seconds = 0.0
        self.helm_runs = 0
        self._stats_lock = threading.Lock()

    # ---------------------------------------------------------------- public API

    def render_all(
        self,
        releases: list[dict[str, Any]],
        sources: list[dict[str, Any]],
        values_lookup: ValuesLookup | None = None,
        chart_dir_resolver: ChartDirResolver | None = None,
    ) -> list[ReleaseRender]:
        """Render every release (in parallel); results in the order of `releases`."""
        by_key = _index_sources(sources)
        # values and sources are resolved first, in this thread: the caller's lookups need
        # not be thread-safe; the slow parts (fetch, helm, kustomize) run on the pool
        prepared = [self._prepare(hr, by_key, values_lookup, chart_dir_resolver) for hr in releases]
        if self.workers == 1 or len(prepared) <= 1:
            return [self._render_prepared(p) for p in prepared]
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kg-helm") as pool:
            return list(pool.map(self._render_prepared, prepared))

    def render(
        self,
        hr: dict[str, Any],
        sources: list[dict[str, Any]],
        values_lookup: ValuesLookup | None = None,
        chart_dir_resolver: ChartDirResolver | None = None,
    ) -> ReleaseRender:
        return self.render_all([hr], sources, values_lookup, chart_dir_resolver)[0]

    def pull(
        self,
        releases: list[dict[str, Any]],
        sources: list[dict[str, Any]],
        chart_dir_resolver: ChartDirResolver | None = None,
    ) -> list[ChartPull]:
        """Fill the chart cache for these releases (for `kg charts pull`): one entry per
        distinct chart, with the releases that use it; a chart that cannot be had is an
        entry with `error`. Local path charts need no fetch (cached=True) unless their
        dependencies are not vendored: those are built into the cache once."""
        by_key = _index_sources(sources)
        wanted: dict[tuple[str, ...], tuple[ChartSource | None, list[str], str]] = {}
        for hr in releases:
            try:
                src = chart_source(hr, by_key, chart_dir_resolver)
                key = src.key()
                error = ""
            except Exception as exc:  # noqa: BLE001 - ChartError, or input too broken to read
                src, key, error = None, ("error", hr_id(hr)), f"HelmRelease {hr_id(hr)}: {exc}"
            wanted.setdefault(key, (src, [], error))[1].append(hr_id(hr))

        def fetch(item: tuple[ChartSource | None, list[str], str]) -> ChartPull:
            src, users, error = item
            if src is None:
                return ChartPull("", "", "", error=error, releases=users)
            try:
                got = self.cache.get(src)
                return ChartPull(got.name, got.version, got.url, got.digest, str(got.path), got.cached, releases=users)
            except ChartError as exc:
                return ChartPull(src.chart, src.version, src.url, error=f"{src.source}: {exc}", releases=users)
            except Exception as exc:  # noqa: BLE001 - a pull report never crashes
                return ChartPull(
                    src.chart, src.version, src.url, error=f"{src.source}: {type(exc).__name__}: {exc}", releases=users
                )

        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kg-pull") as pool:
            return list(pool.map(fetch, wanted.values()))

    # ---------------------------------------------------------------- steps

    def _prepare(
        self,
        hr: dict[str, Any],
        by_key: dict[tuple[str, str, str], dict[str, Any]],
        values_lookup: ValuesLookup | None,
        resolver: ChartDirResolver | None,
    ) -> _Prepared:
        spec = _dict(hr.get("spec"))
        namespace = hr_namespace(hr)
        prepared = _Prepared(
            hr=hr,
            release=ReleaseRender(
                release=hr_id(hr),
                chart="",
                version="",
                source="",
                release_name=release_name(hr),
                namespace=str(spec.get("targetNamespace") or namespace),
                storage_namespace=str(spec.get("storageNamespace") or namespace),
            ),
        )
        out = prepared.release
        out.source_ref = referenced_source(hr)
        try:
            prepared.source = chart_source(hr, by_key, resolver)
            out.chart, out.version, out.source = (
                prepared.source.chart,
                prepared.source.version or prepared.source.digest,
                prepared.source.url,
            )
        except ChartError as exc:
            out.error, out.stage = f"HelmRelease {out.release}: {exc}", "source"
            return prepared
        except Exception as exc:  # noqa: BLE001 - malformed input never stops the load
            out.error = f"HelmRelease {out.release}: cannot read its chart source: {type(exc).__name__}: {exc}"
            out.stage = "source"
            return prepared
        try:
            prepared.values, notes = compose_values(hr, values_lookup)
            out.notes.extend(notes)
        except ValuesError as exc:
            out.error, out.stage = f"HelmRelease {out.release}: values: {exc}", "values"
        except Exception as exc:  # noqa: BLE001
            out.error, out.stage = f"HelmRelease {out.release}: values: {type(exc).__name__}: {exc}", "values"
        return prepared

    def _render_prepared(self, prepared: _Prepared) -> ReleaseRender:
        out = prepared.release
        if out.error or prepared.source is None:
            return out
        if not self.helm:
            out.error, out.stage = f"HelmRelease {out.release}: not rendered: {NO_HELM}", "no-helm"
            return out
        try:
            chart = self.cache.get(prepared.source)
        except ChartError as exc:
            what = prepared.source.chart or prepared.source.url
            out.error = f"HelmRelease {out.release}: chart {what} from {prepared.source.source}: {exc}"
            out.stage = "fetch"
            return out
        except Exception as exc:  # noqa: BLE001 - disk or network trouble: a row, not a crash
            out.error = f"HelmRelease {out.release}: chart from {prepared.source.source}: {type(exc).__name__}: {exc}"
            out.stage = "fetch"
            return out
        out.chart, out.version, out.source, out.digest, out.cached = (
            chart.name,
            chart.version,
            chart.url,
            chart.digest,
            chart.cached,
        )
        try:
            objects, notes, reused, seconds = self._render_cached(prepared, chart)
        except _RenderError as exc:
            out.error, out.stage = f"HelmRelease {out.release}: {exc}", exc.stage
            return out
        except Exception as exc:  # noqa: BLE001
            out.error = f"HelmRelease {out.release}: render failed: {type(exc).__name__}: {exc}"
            out.stage = "template"
            return out
        # helm-controller labels everything it applies with the HelmRelease (origin labels)
        objects = copy.deepcopy(objects)
        name = str(_dict(prepared.hr.get("metadata")).get("name") or "")
        _set_metadata(
            objects, "labels", {f"{HELM_GROUP}/name": name, f"{HELM_GROUP}/namespace": hr_namespace(prepared.hr)}
        )
        out.objects, out.render_cached, out.seconds = objects, reused, seconds
        out.notes.extend(notes)
        return out

    def _render_key(self, prepared: _Prepared, chart: FetchedChart) -> str:
        spec = _dict(prepared.hr.get("spec"))
        material = {
            "chart": [chart.url, chart.name, chart.version, chart.digest],
            "values": prepared.values,
            "values_files": list(prepared.source.values_files) if prepared.source else [],
            "release": prepared.release.release_name,
            "namespace": prepared.release.namespace,
            "crds": crds_included(prepared.hr),
            "kube": self.kube_version,
            "apis": list(self.api_versions),
            "post": spec.get("postRenderers") or [],
            "common": spec.get("commonMetadata") or {},
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()

    def _render_cached(
        self, prepared: _Prepared, chart: FetchedChart
    ) -> tuple[list[tuple[dict[str, Any], str]], list[str], bool, float]:
        """The render for this content key, done once per load even when asked for
        concurrently; the cached copy is never handed out (callers deep-copy)."""
        key = self._render_key(prepared, chart)
        with self._renders_lock:
            lock = self._render_locks.setdefault(key, threading.Lock())
        with lock:
            with self._renders_lock:
                done = self._renders.get(key)
            if done is not None:
                if isinstance(done, _RenderError):
                    raise done
                return done[0], list(done[1]), True, 0.0
            started = time.perf_counter()
            try:
                objects, notes = self._render_uncached(prepared, chart)
            except _RenderError as exc:
                with self._renders_lock:
                    self._renders[key] = exc
                raise
            seconds = time.perf_counter() - started
            with self._renders_lock:
                self._renders[key] = (objects, notes)
            return objects, list(notes), False, seconds

    def _render_uncached(
        self, prepared: _Prepared, chart: FetchedChart
    ) -> tuple[list[tuple[dict[str, Any], str]], list[str]]:
        hr, out = prepared.hr, prepared.release
        spec = _dict(hr.get("spec"))
        with tempfile.TemporaryDirectory(prefix="kg-helm-") as tmp:
            tmpdir = Path(tmp)
            # `--flag=value`, and `--` before the positional arguments: a release name or
            # namespace from the repository can never be read as a flag
            cmd = [str(self.helm), "template", f"--namespace={out.namespace}", "--skip-tests"]
            if prepared.source is not None:
                for i, rel in enumerate(prepared.source.values_files):
                    text = read_chart_file(chart.path, rel)
                    if text is None:
                        raise _RenderError(f"values file {rel!r} not found in chart {chart.name} {chart.version}")
                    values_file = tmpdir / f"chart-values-{i}.yaml"
                    values_file.write_text(text, encoding="utf-8")
                    cmd.append(f"--values={values_file}")
            values_path = tmpdir / "values.json"  # JSON is YAML: no dumper quirks
            values_path.write_text(json.dumps(prepared.values, default=str), encoding="utf-8")
            cmd.append(f"--values={values_path}")
            cmd.append("--include-crds" if crds_included(hr) else "--skip-crds")
            if self.kube_version:
                cmd.append(f"--kube-version={self.kube_version}")
            for api in self.api_versions:
                cmd.append(f"--api-versions={api}")
            cmd += ["--", out.release_name, str(chart.path)]
            started = time.perf_counter()
            try:
                proc = run_command(cmd, self.template_timeout, cwd=tmp)
            except TimeoutError as exc:
                raise _RenderError(f"helm template: {exc}") from None
            finally:
                with self._stats_lock:
                    self.helm_seconds += time.perf_counter() - started
                    self.helm_runs += 1
            if proc.returncode != 0:
                raise _RenderError(
                    f"helm template ({chart.name} {chart.version}): {helm_error_line(proc.stderr or proc.stdout)}"
                )
            objects, notes = parse_manifests(proc.stdout)
            common = _dict(spec.get("commonMetadata"))
            if _dict(common.get("labels")):
                _set_metadata(objects, "labels", common["labels"])
            if _dict(common.get("annotations")):
                _set_metadata(objects, "annotations", common["annotations"])
            for renderer in spec.get("postRenderers") or []:
                kustomize = _dict(_dict(renderer).get("kustomize"))
                if kustomize:
                    objects = self._kustomize_post_render(objects, kustomize, tmpdir)
        return objects, notes

    def _kustomize_post_render(
        self, objects: list[tuple[dict[str, Any], str]], kustomize: dict[str, Any], tmpdir: Path
    ) -> list[tuple[dict[str, Any], str]]:
        """One `postRenderers[].kustomize` (patches, patchesStrategicMerge,
        patchesJson6902, images) applied with the real kustomize, as helm-controller's
        built-in kustomize post-renderer does."""
        from .kustomize import kustomize_command  # the project's kustomize/kubectl choice

        work = Path(tempfile.mkdtemp(dir=tmpdir, prefix="post-"))
        stream = "".join("---\n" + dump(obj) for obj, _ in objects)
        (work / "helm-output.yaml").write_text(stream, encoding="utf-8")
        kustomization: dict[str, Any] = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": ["helm-output.yaml"],
        }
        patches: list[dict[str, Any]] = []
        for patch in kustomize.get("patches") or []:
            if isinstance(patch, dict) and patch.get("patch"):
                entry: dict[str, Any] = {"patch": str(patch["patch"])}
                if _dict(patch.get("target")):
                    entry["target"] = patch["target"]
                if _dict(patch.get("options")):
                    entry["options"] = patch["options"]
                patches.append(entry)
        for smp in kustomize.get("patchesStrategicMerge") or []:
            text = smp if isinstance(smp, str) else yaml.safe_dump(smp, sort_keys=False)
            patches.append({"patch": text})
        for patch in kustomize.get("patchesJson6902") or []:
            if isinstance(patch, dict) and patch.get("patch") is not None:
                ops = patch["patch"]
                patches.append(
                    {"target": _dict(patch.get("target")), "patch": ops if isinstance(ops, str) else json.dumps(ops)}
                )
        if patches:
            kustomization["patches"] = patches
        if kustomize.get("images"):
            kustomization["images"] = kustomize["images"]
        (work / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False), encoding="utf-8")
        try:
            cmd = kustomize_command() + [str(work)]
        except Exception as exc:  # noqa: BLE001 - no kustomize on this machine
            raise _RenderError(f"post-renderer: {exc}", "post-render") from None
        started = time.perf_counter()
        try:
            proc = run_command(cmd, self.template_timeout)
        except TimeoutError as exc:
            raise _RenderError(f"post-renderer: {exc}", "post-render") from None
        finally:
            with self._stats_lock:
                self.kustomize_seconds += time.perf_counter() - started
        if proc.returncode != 0:
            message = helm_error_line((proc.stderr or proc.stdout).replace(str(work), "."))
            raise _RenderError(f"post-renderer (kustomize): {message}", "post-render")
        docs, _ = load_documents(proc.stdout, "post-rendered")
        templates = {_identity(obj): template for obj, template in objects}
        return [(doc, templates.get(_identity(doc), "")) for _, doc in docs if isinstance(doc, dict)]


def _build_timeout() -> float | None:
    try:
        from .limits import BuildLimits
    except ImportError:
        return 120.0
    return BuildLimits.from_env()[0].timeout_s


@dataclass
class _Prepared:
    hr: dict[str, Any]
    release: ReleaseRender
    source: ChartSource | None = None
    values: dict[str, Any] = field(default_factory=dict)


class _RenderError(Exception):
    def __init__(self, message: str, stage: str = "template") -> None:
        super().__init__(message)
        self.stage = stage
