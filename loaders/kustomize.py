"""Building a Flux Kustomization's path with the real kustomize.

Flux (fluxcd/pkg/kustomize) works on a copy of the source artifact: when the path has
no kustomization file it generates one, then it edits that file in place to add the
Kustomization CR's targetNamespace, patches, images, ... and builds it with load
restrictions off (files anywhere inside the source root may be referenced). We do
the same on a private working copy of the repository, and add
`buildMetadata: [originAnnotations]` to learn each object's source file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .model import LoadWarning
from .yamlio import kubernetes_objects, load_documents, read_yaml_file

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


class KustomizeNotFound(RuntimeError):
    pass


def kustomize_command() -> list[str]:
    """`kustomize build`, else `kubectl kustomize`; a clear error when neither exists."""
    override = os.environ.get("KG_KUSTOMIZE")
    if override:
        return override.split()
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    raise KustomizeNotFound(
        "neither `kustomize` nor `kubectl` is on PATH: install one of them to render Flux Kustomizations"
    )


def find_kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


@dataclass
class BuildResult:
    objects: list[tuple[dict[str, Any], str, str]]  # (object, repo-relative source file, generator kind)
    warnings: list[LoadWarning]
    error: str = ""


def _ignore_vcs(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n in (".git", ".hg", ".svn")]


class WorkingCopy:
    """A private copy of the repository, so that kustomization files can be generated
    and edited per build as Flux does, without touching the user's checkout."""

    def __init__(self, repo_root: Path):
        self.repo_root = repo_root.resolve()
        self._tmp = tempfile.TemporaryDirectory(prefix="kg-render-")
        self.root = Path(self._tmp.name) / "repo"
        shutil.copytree(self.repo_root, self.root, symlinks=True, ignore=_ignore_vcs)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> "WorkingCopy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root.resolve()).as_posix()

    def build(self, rel_dir: str, flux_spec: dict[str, Any]) -> BuildResult:
        """Build repo-relative `rel_dir` with the Flux CR's spec applied."""
        # One build at a time per copy: the kustomization file is edited in place.
        with self._lock:
            return self._build(rel_dir, flux_spec)

    def _build(self, rel_dir: str, flux_spec: dict[str, Any]) -> BuildResult:
        warnings: list[LoadWarning] = []
        directory = (self.root / rel_dir).resolve()
        if not directory.is_dir():
            return BuildResult([], warnings, f"path not found: {rel_dir}")
        kfile = find_kustomization_file(directory)
        created = kfile is None
        original = None if created else kfile.read_bytes()
        if created:
            kfile = directory / "kustomization.yaml"
            resources, gen_warnings = generate_resources(directory, self.root)
            warnings.extend(gen_warnings)
            content: dict[str, Any] = {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": resources,
            }
        else:
            try:
                content = yaml.safe_load(original) or {}
            except yaml.YAMLError as exc:
                return BuildResult([], warnings, f"invalid kustomization file {self.relative(kfile)}: {exc}")
            if not isinstance(content, dict):
                return BuildResult([], warnings, f"kustomization file {self.relative(kfile)} is not a mapping")
        apply_flux_spec(content, flux_spec)
        try:
            kfile.write_text(yaml.safe_dump(content, sort_keys=False))
            return self._run(directory, warnings)
        finally:
            if created:
                kfile.unlink(missing_ok=True)
            else:
                kfile.write_bytes(original)

    def _run(self, directory: Path, warnings: list[LoadWarning]) -> BuildResult:
        cmd = kustomize_command() + ["--load-restrictor", "LoadRestrictionsNone", str(directory)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root)
        if proc.returncode != 0:
            message = proc.stderr.strip().replace(str(self.root) + "/", "").replace(str(self.root), ".")
            return BuildResult([], warnings, message.splitlines()[-1] if message else "kustomize failed")
        docs, doc_warnings = load_documents(proc.stdout, self.relative(directory))
        warnings.extend(doc_warnings)
        objs, _ = kubernetes_objects(docs, self.relative(directory))
        rel_dir = self.relative(directory)
        out = []
        for _line, obj in objs:
            source_file, generator = _pop_origin(obj, rel_dir)
            out.append((obj, source_file, generator))
        return BuildResult(out, warnings)


def _pop_origin(obj: dict[str, Any], rel_dir: str) -> tuple[str, str]:
    """Read and remove kustomize's origin annotation: (repo-relative file, generator kind)."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    origin_text = annotations.pop(ORIGIN_ANNOTATION, None)
    if not annotations and isinstance(obj.get("metadata"), dict) and "annotations" in obj["metadata"]:
        del obj["metadata"]["annotations"]
    if not origin_text:
        return rel_dir, ""
    try:
        origin = yaml.safe_load(origin_text) or {}
    except yaml.YAMLError:
        return rel_dir, ""
    if origin.get("repo"):
        return f"{origin.get('repo')}//{origin.get('path', '')}", ""
    configured_by = origin.get("configuredBy") or {}
    if origin.get("configuredIn"):
        path = origin["configuredIn"]
        generator = configured_by.get("kind", "") if isinstance(configured_by, dict) else ""
    else:
        path, generator = origin.get("path", ""), ""
    return os.path.normpath(os.path.join(rel_dir, path)).replace(os.sep, "/"), generator


def generate_resources(directory: Path, root: Path) -> tuple[list[str], list[LoadWarning]]:
    """Flux's generated kustomization: subfolders holding a kustomization file become
    resources (not descended into); other .yaml/.yml files are included. Files that
    are not Kubernetes YAML would fail Flux's build: we leave them out with a warning."""
    resources: list[str] = []
    warnings: list[LoadWarning] = []
    for current, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        here = Path(current)
        if here != directory and find_kustomization_file(here):
            resources.append("./" + here.relative_to(directory).as_posix())
            dirnames[:] = []
            continue
        for filename in sorted(filenames):
            if not filename.endswith((".yaml", ".yml")) or (here == directory and filename in KUSTOMIZATION_FILES):
                continue
            path = here / filename
            rel = path.relative_to(root).as_posix()
            docs, doc_warnings = read_yaml_file(path, rel)
            objs, obj_warnings = kubernetes_objects(docs, rel)
            if doc_warnings or obj_warnings:
                warnings.extend(doc_warnings + obj_warnings)
                warnings.append(LoadWarning(rel, None, "left out of the generated kustomization: Flux cannot decode it as Kubernetes YAML"))
                continue
            if objs:
                resources.append("./" + path.relative_to(directory).as_posix())
    return resources, warnings


def apply_flux_spec(content: dict[str, Any], spec: dict[str, Any]) -> None:
    """Edit a kustomization the way kustomize-controller's generator does."""
    if spec.get("targetNamespace"):
        content["namespace"] = spec["targetNamespace"]
    for field_name in ("namePrefix", "nameSuffix"):
        if spec.get(field_name):
            content[field_name] = spec[field_name]
    for patch in spec.get("patches") or []:
        if isinstance(patch, dict):
            entry = {k: v for k, v in patch.items() if k in ("patch", "target") and v}
            content.setdefault("patches", []).append(entry)
    for patch in spec.get("patchesStrategicMerge") or []:
        content.setdefault("patchesStrategicMerge", []).append(yaml.safe_dump(patch))
    for patch in spec.get("patchesJson6902") or []:
        if isinstance(patch, dict):
            content.setdefault("patchesJson6902", []).append(
                {"target": patch.get("target"), "patch": yaml.safe_dump(patch.get("patch"))}
            )
    images = content.setdefault("images", []) if spec.get("images") else None
    for image in spec.get("images") or []:
        if not isinstance(image, dict):
            continue
        existing = [i for i, old in enumerate(images) if isinstance(old, dict) and old.get("name") == image.get("name")]
        if existing:
            images[existing[0]] = image
        else:
            images.append(image)
    for component in spec.get("components") or []:
        content.setdefault("components", []).append(component)
    common = spec.get("commonMetadata")
    if isinstance(common, dict):
        if common.get("labels"):
            content.setdefault("labels", []).append({"pairs": common["labels"], "includeSelectors": False})
        if common.get("annotations"):
            content.setdefault("commonAnnotations", {}).update(common["annotations"])
    build_metadata = content.setdefault("buildMetadata", [])
    if "originAnnotations" not in build_metadata:
        build_metadata.append("originAnnotations")
