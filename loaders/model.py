"""Small typed records shared by the loader stages."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
FLUX_SOURCE_GROUP = "source.toolkit.fluxcd.io"
FLUX_HELM_GROUP = "helm.toolkit.fluxcd.io"
SOURCE_KINDS = ("GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart")


@dataclass(frozen=True, order=True)
class LoadWarning:
    """One problem in the input: where it is and why it was skipped or not followed."""

    file: str  # repo-relative path ("" when not tied to a file)
    line: int | None
    reason: str
    cluster: str = ""

    def __str__(self) -> str:
        where = self.file or "<repo>"
        if self.line:
            where += f":{self.line}"
        prefix = f"[{self.cluster}] " if self.cluster else ""
        return f"{prefix}{where}: {self.reason}"


def as_dict(value: Any) -> dict[str, Any]:
    """The value when it is a mapping, else an empty one: fields of real repos often are not."""
    return value if isinstance(value, dict) else {}


_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", re.IGNORECASE)


def without_credentials(url: str) -> str:
    """The URL without a `user:password@` part."""
    return _USERINFO.sub(r"\1", url)


def walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) of a value and of everything inside it: `path.key`, `path[index]`."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def api_group(obj: dict[str, Any]) -> str:
    api_version = str(obj.get("apiVersion") or "")
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def is_flux_kustomization(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == "Kustomization" and api_group(obj) == FLUX_KUSTOMIZE_GROUP


@dataclass
class Rendered:
    """One object as Flux would apply it, with where it came from."""

    obj: dict[str, Any]  # after post-build substitution
    raw: dict[str, Any]  # as built by kustomize, before substitution
    source_file: str  # repo-relative
    managed_by: str  # "namespace/name" of the applying Flux Kustomization
    generated_by: str = ""  # e.g. "ConfigMapGenerator" for generator outputs
    unresolved_vars: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()  # ${vars} referenced by the raw object
    # "Kind/namespace/name" of the ResourceSet or HelmRelease that made it ("" when the
    # Kustomization applies it directly): its MANAGES parent in the graph
    owner: str = ""

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def name(self) -> str:
        return str(meta(self.obj).get("name") or "")

    @property
    def namespace(self) -> str:
        return str(meta(self.obj).get("namespace") or "")


@dataclass
class FluxKustomization:
    """A Flux Kustomization CR as applied (after its parent's substitution)."""

    name: str
    namespace: str
    spec: dict[str, Any]
    source_file: str
    parent: str = ""  # "namespace/name" of the Kustomization that applies it ("" for the root)
    owner: str = ""  # "ResourceSet/namespace/name" that generated it, under the parent
    # filled in by rendering
    source_dir: str | None = None  # repo-relative directory the path resolves to
    render_error: str = ""
    external_source: str = ""  # URL of a source that is not this repository: not rendered
    objects: list[Rendered] = field(default_factory=list)
    unresolved_vars: list[str] = field(default_factory=list)
    variables_used: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def post_build(self) -> dict[str, Any] | None:
        pb = self.spec.get("postBuild")
        return pb if isinstance(pb, dict) else None


@dataclass
class ClusterRender:
    """Everything rendered for one cluster entry point."""

    name: str
    root_file: str  # repo-relative file holding the root GitRepository/Kustomization
    root_path: str  # spec.path of the root Kustomization
    kustomizations: dict[str, FluxKustomization] = field(default_factory=dict)
    warnings: list[LoadWarning] = field(default_factory=list)
    # variable name -> {"origins": {origin description: value, or None when redacted}}
    variable_sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    # "Kind/namespace/name" of a source -> the repo folder (or artifact layout) it maps onto
    source_roots: dict[str, str] = field(default_factory=dict)
    root_source: dict[str, Any] = field(default_factory=dict)  # the root's GitRepository object
    assumed_root: bool = False  # the root objects are not in the repo: kg synthesized them
    entry_point: str = ""  # how the entry point was found (bootstrap file, FluxInstance, ...)
    # builds stopped by a limit (KG_BUILD_TIMEOUT, KG_BUILD_MEMORY_MB): "path: what was hit"
    limit_hits: list[str] = field(default_factory=list)
    # "HelmRelease/namespace/name" -> what chart rendering did (loaders/releases.py)
    releases: dict[str, Any] = field(default_factory=dict)

    def objects(self) -> list[Rendered]:
        out: list[Rendered] = []
        for ks in self.kustomizations.values():
            out.extend(ks.objects)
        return out


def normalize_repo_path(path: str) -> str | None:
    """A Flux `spec.path` (relative to the source root, `./` optional) as a normalized
    repo-relative path; "" for the root; None when it points outside the root."""
    norm = posixpath.normpath((path or "").strip() or ".").lstrip("/")
    if norm in ("", "."):
        return ""
    if norm == ".." or norm.startswith("../"):
        return None
    return norm
