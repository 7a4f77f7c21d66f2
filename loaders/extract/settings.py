"""Effective settings (issue 17): every field of a rendered object whose text held a
`${var}`, every inline env value and SecretProviderClass parameter, and every value a
HelmRelease gives its chart, each with its raw text (before post-build substitution),
its value as applied and where it came from.

Nothing here reads a Secret's values: a variable from a Secret stays `${var}` (the
substitution never resolves it), a `valuesFrom` Secret gives its key names only, and a
literal value under a name that looks like a credential is recorded as redacted."""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from typing import Any

import yaml

from ..helm import ValuesLookup, set_path_value
from ..model import FLUX_HELM_GROUP, Rendered, api_group, as_dict, meta
from ..substitute import referenced_variables
from ..yamlio import read_yaml_file
from .config import variable_node, variable_origin
from .context import ClusterContext, clip, logical_name

# the labels a Setting hangs below (kg/schema.py HAS_SETTING); other objects' settings
# hang below what applies them
OWNER_LABELS = {
    "Kustomization": "Kustomization",
    "HelmRelease": "HelmRelease",
    "ResourceSet": "ResourceSet",
    "Deployment": "Workload",
    "StatefulSet": "Workload",
    "DaemonSet": "Workload",
    "CronJob": "Workload",
    "Job": "Workload",
    "Service": "Service",
    "SecretProviderClass": "SecretProviderClass",
    "ExternalSecret": "ExternalSecret",
    "SecretStore": "SecretStore",
    "ClusterSecretStore": "SecretStore",
    "GitRepository": "Source",
    "OCIRepository": "Source",
    "HelmRepository": "Source",
    "Bucket": "Source",
}
# objects whose text is modelled elsewhere (ConfigMap keys) or never read (Secrets)
SKIPPED_KINDS = ("ConfigMap", "Secret")
SETTING_CHARS = 1024  # a setting's raw/value text is clipped past this
MAX_VALUES = 2000  # leaves of one HelmRelease's values kept (the rest: one warning); xUnholy's cilium has 940
# a literal under such a name is a credential written in plain text: never recorded
SECRET_NAME = re.compile(r"(pass(word|wd)?|secret|token|api.?key|private.?key|credentials?)$", re.IGNORECASE)
REDACTED_LITERAL = "<redacted: the name looks like a credential>"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _segment(key: str) -> str:
    return key if re.fullmatch(r"[\w-]+", key) else f'["{key}"]'


def _join(path: str, key: str) -> str:
    seg = _segment(key)
    return seg if not path else (path + seg if seg.startswith("[") else f"{path}.{seg}")


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, scalar) for every leaf; list items of mappings named `name` are `[name]`,
    an `env` entry's value is `env.NAME`; an empty mapping or list is a leaf."""
    out: list[tuple[str, Any]] = []
    if isinstance(value, dict) and value:
        for key, item in value.items():
            out.extend(_leaves(item, _join(path, str(key))))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            out.extend(_leaves(item, _item_path(path, i, item)))
    else:
        out.append((path, value))
    return out


def _item_path(path: str, index: int, item: Any) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    if isinstance(name, str) and name and "${" not in name:
        return f"{path}[{name}]"
    return f"{path}[{index}]"


def _paired(raw: Any, obj: Any, path: str = "") -> list[tuple[str, str, Any]]:
    """(path, raw text, applied value) of every string leaf of `raw` that references a
    variable, with the value at the same place of `obj` (substitution keeps the shape,
    though `${replicas}` may become a number)."""
    out: list[tuple[str, str, Any]] = []
    if isinstance(raw, dict):
        applied = obj if isinstance(obj, dict) else {}
        env_like = "value" in raw and isinstance(raw.get("name"), str) and path.endswith("]") and ".env[" in path + "."
        for key, item in raw.items():
            if env_like and key == "value":
                sub = path[: path.rindex("[")] + "." + _segment(str(raw["name"]))
            else:
                sub = _join(path, str(key))
            out.extend(_paired(item, applied.get(key), sub))
    elif isinstance(raw, list):
        applied_list = obj if isinstance(obj, list) else []
        for i, item in enumerate(raw):
            out.extend(_paired(item, applied_list[i] if i < len(applied_list) else None, _item_path(path, i, item)))
    elif isinstance(raw, str) and "${" in raw and referenced_variables(raw):
        out.append((path, raw, obj))
    return out


class SettingsExtractor:
    """Settings of one cluster's rendered objects, added to its GraphDoc."""

    def __init__(self, ctx: ClusterContext, repo_root: Path | None) -> None:
        self.ctx = ctx
        self.repo_root = repo_root
        self._files: dict[str, list[Any]] = {}
        self._values_lookup: ValuesLookup | None = None

    # -- where a setting hangs ------------------------------------------------------
    def _holder(self, rendered: Rendered) -> tuple[tuple[str, str], str]:
        """(node the settings hang below, "Kind/namespace/name" of the object)."""
        ctx = self.ctx
        namespace = ctx.namespace_of(rendered)
        name = logical_name(rendered)[0]
        obj_name = f"{rendered.kind}/{namespace}/{name}" if namespace else f"{rendered.kind}/{name}"
        label = OWNER_LABELS.get(rendered.kind)
        if label:
            node_id = ctx.id(rendered.kind, namespace, name)
            if node_id in ctx.gd.nodes and ctx.gd.nodes[node_id].label == label:
                return (label, node_id), obj_name
        if rendered.owner:
            return ctx.owner_node(rendered.owner), obj_name
        ks_namespace, ks_name = rendered.managed_by.split("/", 1)
        return ("Kustomization", ctx.id("Kustomization", ks_namespace, ks_name)), obj_name

    def _add(
        self,
        holder: tuple[str, str],
        obj_name: str,
        rendered: Rendered,
        path: str,
        raw: str,
        value: str,
        via: str,
        origin: str,
        variables: list[str] | None = None,
        redacted: bool = False,
    ) -> tuple[str, str]:
        ctx = self.ctx
        if "ENC[" in raw or "ENC[" in value:  # SOPS ciphertext is never recorded either
            raw = value = "<redacted: SOPS-encrypted>"
            redacted = True
        namespace = ctx.namespace_of(rendered)
        node = ("Setting", ctx.id("Setting", None, obj_name, path))
        last = re.search(r'(\["[^"]*"\]|[^.\[\]]+)((?:\[[^\]]*\])*)$', path)
        key = (last.group(1).strip('["]') + last.group(2)) if last else path
        ctx.gd.add_node(
            "Setting",
            node[1],
            **ctx.base_props(rendered, kind="Setting", name=key, namespace=namespace),
            object=obj_name,
            path=path,
            raw=clip(raw, SETTING_CHARS),
            value=clip(value, SETTING_CHARS),
            origin=origin,
            via=via,
            variables=variables or [],
            redacted=redacted or None,
        )
        ctx.gd.add_rel("HAS_SETTING", holder, node)
        return node

    # -- variables --------------------------------------------------------------------
    def _variables(self, rendered: Rendered, raw: str) -> tuple[list[str], list[tuple[str, str | None, bool]], bool]:
        """(names, [(name, origin, redacted)], any redacted) of the variables a raw text uses."""
        names = referenced_variables(raw)
        found: list[tuple[str, str | None, bool]] = []
        for var in names:
            origin = variable_origin(self.ctx, rendered.managed_by, var)
            if origin is not None:
                found.append((var, origin[0], origin[1]))
            elif re.search(r"\$\{" + re.escape(var) + r":?[-=]", raw):
                found.append((var, "default in the text", False))
            else:
                found.append((var, None, False))
        return names, found, any(r for _, _, r in found)

    def _link_vars(self, node: tuple[str, str], found: list[tuple[str, str | None, bool]]) -> None:
        for var, origin, redacted in found:
            self.ctx.gd.add_rel(
                "USES_VAR", node, variable_node(self.ctx, var), origin=origin or "undefined", redacted=redacted or None
            )

    @staticmethod
    def _origin_text(where: str, found: list[tuple[str, str | None, bool]]) -> str:
        if not found:
            return where
        return where + "; " + ", ".join(f"${{{v}}} from {o or 'nowhere (empty)'}" for v, o, _ in found)

    # -- one object ---------------------------------------------------------------------
    def add(self, rendered: Rendered) -> None:
        """The settings of one rendered object; odd shapes are one warning, the load goes on."""
        try:
            self._add_object(rendered)
        except Exception as exc:  # noqa: BLE001 - only the type: the text could quote values
            self.ctx.warn(
                rendered.source_file,
                f"{rendered.kind} {rendered.namespace}/{rendered.name}: settings left out ({type(exc).__name__})",
            )

    def _add_object(self, rendered: Rendered) -> None:
        if rendered.kind in SKIPPED_KINDS and not api_group(rendered.obj):
            return
        is_release = rendered.kind == "HelmRelease" and api_group(rendered.obj) == FLUX_HELM_GROUP
        holder, obj_name = self._holder(rendered)
        where = rendered.source_file
        done: set[str] = set()
        if rendered.variables:  # Flux substituted this object
            for path, raw, applied in _paired(rendered.raw, rendered.obj):
                if is_release and path.startswith("spec.values"):
                    continue  # below, with the release's other values
                names, found, redacted = self._variables(rendered, raw)
                via = (
                    "env" if ".env." in path
                    else "args" if re.search(r"\.(args|command)\[", path)
                    else "parameter" if rendered.kind == "SecretProviderClass" and path.startswith("spec.parameters.")
                    else "field"
                )  # fmt: skip
                node = self._add(
                    holder, obj_name, rendered, path, raw, _text(applied), via,
                    self._origin_text(where, found), names, redacted,
                )  # fmt: skip
                self._link_vars(node, found)
                done.add(path)
        if rendered.kind in OWNER_LABELS and holder[0] == "Workload":
            self._env(rendered, holder, obj_name, done)
            self._workload_fields(rendered, holder, obj_name, done)
        elif rendered.kind == "SecretProviderClass":
            self._parameters(rendered, holder, obj_name, done)
        elif is_release:
            self._release_values(rendered, holder, obj_name)

    def _env(self, rendered: Rendered, holder: tuple[str, str], obj_name: str, done: set[str]) -> None:
        """Inline env values without variables: raw = value."""
        raw_leaves = dict(_leaves(rendered.raw)) if rendered.raw is not rendered.obj else {}
        for leaf, value in _leaves(rendered.obj):
            if ".env[" not in leaf or not leaf.endswith("].value") or not isinstance(value, (str, int, float, bool)):
                continue
            path = leaf[: leaf.rindex("[")] + "." + _segment(leaf[leaf.rindex("[") + 1 : -len("].value")])
            if path in done:
                continue
            text = _text(raw_leaves.get(leaf, value))
            name = path.rsplit(".", 1)[-1]
            redacted = bool(SECRET_NAME.search(name)) and bool(text)
            raw, applied = (REDACTED_LITERAL, REDACTED_LITERAL) if redacted else (text, _text(value))
            self._add(holder, obj_name, rendered, path, raw, applied, "env", rendered.source_file, redacted=redacted)

    def _workload_fields(self, rendered: Rendered, holder: tuple[str, str], obj_name: str, done: set[str]) -> None:
        """A CronJob's schedule and a workload's replicas, also when written literally."""
        spec, raw_spec = as_dict(rendered.obj.get("spec")), as_dict(rendered.raw.get("spec"))
        for field_name in ("schedule", "replicas"):
            path = f"spec.{field_name}"
            if path in done or field_name not in spec or isinstance(spec[field_name], (dict, list)):
                continue
            raw = _text(raw_spec.get(field_name, spec[field_name]))
            self._add(holder, obj_name, rendered, path, raw, _text(spec[field_name]), "field", rendered.source_file)

    def _parameters(self, rendered: Rendered, holder: tuple[str, str], obj_name: str, done: set[str]) -> None:
        """A SecretProviderClass's one-line parameters (vaultAddress, roleName, ...)."""
        params = as_dict(as_dict(rendered.obj.get("spec")).get("parameters"))
        for key, value in params.items():
            path = _join("spec.parameters", str(key))
            text = _text(value)
            if path in done or "\n" in text:
                continue
            self._add(holder, obj_name, rendered, path, text, text, "parameter", rendered.source_file)

    # -- HelmRelease values --------------------------------------------------------------
    def _base_values(self, rendered: Rendered) -> dict[str, Any] | None:
        """The release's inline values as written in its source file (before patches)."""
        if self.repo_root is None or not rendered.source_file or "://" in rendered.source_file:
            return None
        if rendered.source_file not in self._files:
            path = self.repo_root / rendered.source_file
            docs: list[Any] = []
            if path.is_file():
                try:
                    docs = [d for _, d in read_yaml_file(path, rendered.source_file)[0]]
                except (OSError, ValueError, yaml.YAMLError):
                    docs = []
            self._files[rendered.source_file] = docs
        for doc in self._files[rendered.source_file]:
            if (
                isinstance(doc, dict)
                and doc.get("kind") == "HelmRelease"
                and str(meta(doc).get("name") or "") == rendered.name
            ):
                return as_dict(as_dict(doc.get("spec")).get("values"))
        return None

    def _patch_origin(self, rendered: Rendered) -> str:
        """Where a patch that changed the release's values lives: the overlay folder
        (the Flux Kustomization's path), or the Flux Kustomization's own `patches`."""
        ks = self.ctx.cluster.kustomizations.get(rendered.managed_by)
        overlay = ks.source_dir if ks is not None and ks.source_dir is not None else ""
        base_dir = posixpath.dirname(rendered.source_file)
        if ks is not None and ks.spec.get("patches") and (not overlay or overlay == base_dir):
            return f"a patch of Kustomization {ks.key}"
        return f"a patch from overlay {overlay or '.'}"

    def _lookup(self) -> ValuesLookup:
        if self._values_lookup is None:
            from ..releases import _values_lookup

            self._values_lookup = _values_lookup(self.ctx.cluster.objects())
        return self._values_lookup

    def _release_values(self, rendered: Rendered, holder: tuple[str, str], obj_name: str) -> None:
        """Each leaf of the values the release gives its chart, in Helm's order:
        `valuesFrom` in order (whole, or at `targetPath`), then inline `spec.values`;
        the origin is the last layer that set the leaf."""
        ctx = self.ctx
        spec = as_dict(rendered.obj.get("spec"))
        namespace = ctx.namespace_of(rendered)
        merged: dict[str, tuple[Any, str, str]] = {}  # path -> (value, origin, via)
        for ref in spec.get("valuesFrom") or []:
            ref = as_dict(ref)
            kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
            key = str(ref.get("valuesKey") or "values.yaml")
            target = str(ref.get("targetPath") or "")
            where = f"valuesFrom {kind} {namespace}/{name} key {key}"
            data = self._lookup()(kind, namespace, name) if kind in ("ConfigMap", "Secret") else None
            if data is None or key not in data:
                continue  # absent (optional, or a Secret made in the cluster): Flux skips or fails
            if kind == "Secret" or data[key] is None:
                # key names only: the Secret's values are never read
                path = target or f"({where})"
                self._drop_under(merged, target)
                merged[path] = (f"<redacted: from Secret {namespace}/{name}>", where, "values")
                continue
            if target:
                layer: dict[str, Any] = {}
                try:
                    set_path_value(layer, target, str(data[key]), literal=bool(ref.get("literal")))
                except ValueError:
                    continue
            else:
                try:
                    layer = as_dict(yaml.safe_load(str(data[key])) or {})
                except yaml.YAMLError:
                    continue
            self._merge(merged, layer, where)
        inline = as_dict(spec.get("values"))
        base = self._base_values(rendered)
        base_leaves = dict(_leaves(base)) if base is not None else None
        raw_leaves = dict(_leaves(as_dict(as_dict(rendered.raw.get("spec")).get("values"))))
        found_by_path: dict[str, list[tuple[str, str | None, bool]]] = {}
        origins: dict[str, str] = {}
        for path, value in _leaves(inline):
            raw = raw_leaves.get(path, value)
            where = f"inline values of {rendered.source_file}"
            if base_leaves is not None and path and path not in base_leaves:
                where = f"{self._patch_origin(rendered)} (not in the base {rendered.source_file})"
            elif base_leaves is not None and path and base_leaves.get(path) != raw:
                where = f"{self._patch_origin(rendered)} (base value {_text(base_leaves.get(path))})"
            if rendered.variables and isinstance(raw, str) and "${" in raw:
                names, found, _ = self._variables(rendered, raw)
                if found:
                    found_by_path[path] = found
                    where = self._origin_text(where, found)
            origins[path] = where
        self._merge(merged, inline, "", origins)
        if len(merged) > MAX_VALUES:
            ctx.warn(
                rendered.source_file,
                f"HelmRelease {namespace}/{rendered.name}: {len(merged)} values, the first {MAX_VALUES} kept as settings",
            )
        for path, (value, origin, via) in list(merged.items())[:MAX_VALUES]:
            full = path if path.startswith("(") else "values" + ("" if path.startswith("[") else ".") + path
            raw = raw_leaves.get(path, value) if origin.startswith(("inline", "a patch")) else value
            found = found_by_path.get(path, [])
            name = full.rsplit(".", 1)[-1]
            redacted = any(r for _, _, r in found) or str(value).startswith("<redacted")
            if not found and isinstance(value, str) and value and SECRET_NAME.search(name) and not redacted:
                raw = value = REDACTED_LITERAL
                redacted = True
            node = self._add(
                holder, obj_name, rendered, full, _text(raw), _text(value), via, origin,
                [v for v, _, _ in found], redacted,
            )  # fmt: skip
            self._link_vars(node, found)

    @staticmethod
    def _drop_under(merged: dict[str, tuple[Any, str, str]], prefix: str) -> None:
        """A value set at `prefix` replaces whatever was below it."""
        if not prefix or not merged:
            return
        for path in [p for p in merged if p == prefix or p.startswith((prefix + ".", prefix + "["))]:
            del merged[path]

    def _merge(
        self,
        merged: dict[str, tuple[Any, str, str]],
        layer: dict[str, Any],
        origin: str,
        origins: dict[str, str] | None = None,
    ) -> None:
        """Flux's merge (maps key by key, anything else replaces) on flattened leaves."""
        leaves = [(path, value) for path, value in _leaves(layer) if path]
        # a list in the layer replaces the whole list below it
        for root in {path[: path.index("[")] for path, _ in leaves if "[" in path.lstrip("[")}:
            self._drop_under(merged, root)
        for path, value in leaves:
            # a leaf replaces what was below it, and a parent that was a scalar or a list
            if merged:
                self._drop_under(merged, path)
                for parent in _parents(path):
                    merged.pop(parent, None)
            merged[path] = (value, (origins or {}).get(path, origin), "values")


def _parents(path: str) -> list[str]:
    out = []
    for i, ch in enumerate(path):
        if ch in ".[" and i:
            out.append(path[:i])
    return out
