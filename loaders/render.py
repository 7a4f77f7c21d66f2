"""Walking a cluster's Flux Kustomization tree and rendering each one as Flux would.

Order of work, per cluster:
1. Start from the root Kustomization of the entry point.
2. Level by level: build every Kustomization of the level with kustomize, then apply
   post-build substitution; Flux Kustomizations found in the output are the next
   level (with everything their parent patched or substituted into them).
3. When the tree is complete, substitute every Kustomization once more with all the
   ConfigMaps/Secrets the cluster renders, so a `substituteFrom` source rendered by a
   sibling or a deeper Kustomization is found, whatever the walk order.
"""

from __future__ import annotations

import copy
from typing import Any

from .discover import ClusterEntry
from .kustomize import WorkingCopy
from .model import (
    ClusterRender,
    FluxKustomization,
    LoadWarning,
    Rendered,
    is_flux_kustomization,
    meta,
    normalize_repo_path,
)
from .substitute import DISABLED_KEY, VAR_NAME, VarValue, referenced_variables, substitute
from .yamlio import dump, load_documents

MAX_DEPTH = 20


def _key(obj: dict[str, Any]) -> str:
    m = meta(obj)
    return f"{m.get('namespace') or ''}/{m.get('name') or ''}"


class ClusterRenderer:
    def __init__(self, entry: ClusterEntry, copy_: WorkingCopy):
        self.entry = entry
        self.copy = copy_
        self.result = ClusterRender(
            name=entry.name,
            root_file=entry.root_file,
            root_path=str((entry.kustomization.get("spec") or {}).get("path") or "./"),
        )
        # (kind, namespace, name) -> rendered object, for sources and substituteFrom
        self._built: dict[tuple[str, str, str], list[tuple[dict[str, Any], str, str]]] = {}
        self._raw: dict[str, list[tuple[dict[str, Any], str, str]]] = {}
        root_repo = entry.git_repository or {}
        self.root_source = ("GitRepository", meta(root_repo).get("namespace") or "", meta(root_repo).get("name") or "")
        self.root_url = str((root_repo.get("spec") or {}).get("url") or "")

    def warn(self, file: str, reason: str, line: int | None = None) -> None:
        self.result.warnings.append(LoadWarning(file, line, reason, self.entry.name))

    # -- the walk --------------------------------------------------------------
    def render(self) -> ClusterRender:
        root_obj = self.entry.kustomization
        root = FluxKustomization(
            name=meta(root_obj).get("name") or "flux-system",
            namespace=meta(root_obj).get("namespace") or "flux-system",
            spec=copy.deepcopy(root_obj.get("spec") or {}),
            source_file=self.entry.root_file,
        )
        level = [root]
        self.result.kustomizations[root.key] = root
        depth = 0
        while level and depth < MAX_DEPTH:
            for ks in level:
                self._build(ks)
            next_level: list[FluxKustomization] = []
            for ks in level:
                self._substitute(ks)
                next_level.extend(self._children(ks))
            level = next_level
            depth += 1
        if level:
            self.warn(self.entry.root_file, f"Kustomization tree deeper than {MAX_DEPTH} levels: stopped")
        for ks in self.result.kustomizations.values():
            self._substitute(ks, final=True)
        return self.result

    def _children(self, ks: FluxKustomization) -> list[FluxKustomization]:
        children = []
        for rendered in ks.objects:
            obj = rendered.obj
            if not is_flux_kustomization(obj):
                continue
            name = meta(obj).get("name") or ""
            namespace = meta(obj).get("namespace") or ""
            key = f"{namespace}/{name}"
            if key in self.result.kustomizations:
                existing = self.result.kustomizations[key]
                if existing is not ks and existing.parent != ks.key and key != ks.key:
                    self.warn(rendered.source_file, f"Kustomization {key} is applied by both {existing.parent or 'the cluster root'} and {ks.key}; the first wins")
                continue
            child = FluxKustomization(
                name=name,
                namespace=namespace,
                spec=copy.deepcopy(obj.get("spec") or {}),
                source_file=rendered.source_file,
                parent=ks.key,
            )
            self.result.kustomizations[key] = child
            children.append(child)
        return children

    # -- building --------------------------------------------------------------
    def _resolve_dir(self, ks: FluxKustomization) -> str | None:
        spec = ks.spec
        ref = spec.get("sourceRef") if isinstance(spec.get("sourceRef"), dict) else {}
        kind = ref.get("kind") or "GitRepository"
        ref_key = (kind, ref.get("namespace") or ks.namespace, ref.get("name") or "")
        if not self._source_is_this_repo(ref_key):
            ks.render_error = f"source {kind}/{ref_key[1]}/{ref_key[2]} is not this repository: not rendered"
            self.warn(ks.source_file, f"Kustomization {ks.key}: {ks.render_error}")
            return None
        rel = normalize_repo_path(str(spec.get("path") or ""))
        if rel is None:
            ks.render_error = f"path {spec.get('path')!r} points outside the repository: refused"
            self.warn(ks.source_file, f"Kustomization {ks.key}: {ks.render_error}")
            return None
        return rel

    def _source_is_this_repo(self, ref_key: tuple[str, str, str]) -> bool:
        if ref_key == self.root_source:
            return True
        if ref_key[0] != "GitRepository" or not self.root_url:
            return False
        for obj, _file, _gen in self._built.get(ref_key, []):
            if str((obj.get("spec") or {}).get("url") or "") == self.root_url:
                return True
        return False

    def _build(self, ks: FluxKustomization) -> None:
        rel_dir = self._resolve_dir(ks)
        if rel_dir is None:
            return
        ks.source_dir = rel_dir
        result = self.copy.build(rel_dir, ks.spec)
        for w in result.warnings:
            self.result.warnings.append(LoadWarning(w.file, w.line, w.reason, self.entry.name))
        if result.error:
            ks.render_error = result.error
            self.warn(ks.source_file, f"Kustomization {ks.key}: kustomize build of {rel_dir or '.'} failed: {result.error}")
            return
        self._raw[ks.key] = result.objects
        for obj, file, gen in result.objects:
            kind = str(obj.get("kind") or "")
            self._built.setdefault((kind, meta(obj).get("namespace") or "", meta(obj).get("name") or ""), []).append(
                (obj, file, gen)
            )

    # -- post-build substitution -------------------------------------------------
    def _variables(self, ks: FluxKustomization, final: bool) -> dict[str, VarValue]:
        post_build = ks.post_build or {}
        variables: dict[str, VarValue] = {}
        for ref in post_build.get("substituteFrom") or []:
            if not isinstance(ref, dict):
                continue
            kind, name = ref.get("kind") or "", ref.get("name") or ""
            found = self._built.get((kind, ks.namespace, name))
            if not found:
                if final and not ref.get("optional"):
                    self.warn(ks.source_file, f"Kustomization {ks.key}: substituteFrom {kind} {ks.namespace}/{name} not found in this cluster")
                continue
            obj, file, _gen = found[0]
            origin = f"{kind} {ks.namespace}/{name}"
            if kind == "Secret":
                keys = list((obj.get("data") or {}).keys()) + list((obj.get("stringData") or {}).keys())
                for k in keys:
                    variables[str(k)] = VarValue(None, origin, redacted=True)
            else:
                for k, v in (obj.get("data") or {}).items():
                    variables[str(k)] = VarValue(str(v).replace("\n", ""), origin)
        for k, v in (post_build.get("substitute") or {}).items():
            variables[str(k)] = VarValue(str(v).replace("\n", ""), f"Kustomization {ks.key} (inline)")
        bad = [k for k in variables if not VAR_NAME.match(k)]
        if bad and final:
            self.warn(ks.source_file, f"Kustomization {ks.key}: invalid variable names {bad}: Flux refuses to substitute")
        if final:
            for name, var in variables.items():
                self.result.variable_sources.setdefault(name, {"origins": {}})
                self.result.variable_sources[name]["origins"][var.origin] = var.value
        return variables

    def _substitute(self, ks: FluxKustomization, final: bool = False) -> None:
        raw_objects = self._raw.get(ks.key, [])
        post_build = ks.post_build
        variables = self._variables(ks, final) if post_build is not None else {}
        rendered: list[Rendered] = []
        unresolved_all: list[str] = []
        used_all: list[str] = []
        for raw, file, gen in raw_objects:
            text = dump(raw)
            referenced = referenced_variables(text)
            obj, unresolved = raw, []
            disabled = substitution_disabled(raw)
            if post_build is not None and not disabled and "$" in text:
                sub = substitute(text, variables)
                unresolved = sub.unresolved
                docs, doc_warnings = load_documents(sub.text, file)
                if doc_warnings or not docs or not isinstance(docs[0][1], dict):
                    if final:
                        reason = doc_warnings[0].reason if doc_warnings else "empty result"
                        self.warn(file, f"post-build substitution by {ks.key} produced invalid YAML for {raw.get('kind')} {_key(raw)}: {reason}")
                else:
                    obj = docs[0][1]
            for name in unresolved:
                if name not in unresolved_all:
                    unresolved_all.append(name)
            for name in referenced:
                if name not in used_all:
                    used_all.append(name)
            rendered.append(
                Rendered(
                    obj=obj,
                    raw=raw,
                    source_file=file,
                    managed_by=ks.key,
                    generated_by=gen,
                    unresolved_vars=tuple(unresolved),
                    variables=tuple(referenced if post_build is not None and not disabled else ()),
                )
            )
        ks.objects = rendered
        ks.unresolved_vars = unresolved_all if post_build is not None else []
        ks.variables_used = used_all if post_build is not None else []


def substitution_disabled(obj: dict[str, Any]) -> bool:
    """The `kustomize.toolkit.fluxcd.io/substitute: disabled` label or annotation."""
    m = meta(obj)
    for field_name in ("labels", "annotations"):
        values = m.get(field_name)
        if isinstance(values, dict) and values.get(DISABLED_KEY) == "disabled":
            return True
    return False


def render_cluster(entry: ClusterEntry, working_copy: WorkingCopy) -> ClusterRender:
    return ClusterRenderer(entry, working_copy).render()
