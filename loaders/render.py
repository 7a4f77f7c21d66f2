"""Walking a cluster's Flux Kustomization tree and rendering each one as Flux would.

Order of work, per cluster:
1. Start from the root Kustomization of the entry point.
2. Level by level: build the Kustomizations of the level with kustomize (in parallel),
   then apply post-build substitution; Flux Kustomizations found in the output are the
   next level, with everything their parent patched or substituted into them.
3. When the tree is complete, substitute every Kustomization once more with all the
   ConfigMaps/Secrets the cluster renders, so a `substituteFrom` source rendered by a
   sibling or a deeper Kustomization is found, whatever the walk order. Where a
   Kustomization's built objects and variables are the same as in step 2 (most are), the
   step 2 result is kept instead of substituting again.

Builds run ahead of the walk, so that the workers never wait for a level to end: as soon
as a build is done, the Flux Kustomizations in its output are substituted with what the
walk knows so far and their builds are started (`_run_ahead`). That is a guess, never
an answer: the walk itself (steps 1 to 3, in the same order, with the same bookkeeping)
decides everything and only takes a build run ahead when it asks for exactly that build
(same tree, path and overlay); a guess that turns out wrong costs a build, nothing else.

Source mapping (which folder of the repository a Kustomization reads):
- GitRepository: the cluster's own (the root's sourceRef) and any other GitRepository
  with the same URL read the repository root. Other GitRepositories are another
  repository: unresolved.
- OCIRepository: an artifact pushed from this repository (`flux push artifact`) packs
  one of its folders. It is mapped onto the nearest folder, among the cluster folder
  and its parents up to the root, in which the Kustomization's path exists; the first
  mapping found for a source holds for all Kustomizations reading it.
- ExternalArtifact: produced by an ArtifactGenerator rendered in the cluster; its copy
  rules (loaders/artifacts.py) assemble the artifact from sources mapped as above.
- Bucket and anything else: unresolved, reported, never guessed.
"""

from __future__ import annotations

import copy
import os
import posixpath
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .artifacts import artifact_tree, find_artifact
from .discover import ClusterEntry
from .kustomize import REPO_TREE, BuildResult, Workspace, pop_origin
from .model import (
    ClusterRender,
    FluxKustomization,
    LoadWarning,
    Rendered,
    api_group,
    as_dict,
    is_flux_kustomization,
    meta,
    normalize_repo_path,
)
from .resourceset import expand_resourceset, is_input_provider, is_resourceset
from .substitute import DISABLED_KEY, VAR_NAME, VarValue, referenced_variables, substitute
from .yamlio import dump, load_documents

if TYPE_CHECKING:
    from .render_cache import RenderCache

MAX_DEPTH = 20
ARTIFACT_GROUP = "source.extensions.fluxcd.io"
Objects = list[tuple[dict[str, Any], str, str]]


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class ClusterRenderer:
    def __init__(
        self,
        entry: ClusterEntry,
        workspace: Workspace,
        progress: Callable[[str], None] | None = None,
        run_ahead: bool = True,
    ):
        self.entry = entry
        self.progress = progress
        self.workspace = workspace
        self.result = ClusterRender(
            name=entry.name,
            root_file=entry.root_file,
            root_path=str((entry.kustomization.get("spec") or {}).get("path") or "./"),
            root_source=entry.git_repository or {},
            assumed_root=entry.assumed,
            entry_point=entry.how,
        )
        # (kind, namespace, name) -> every rendered object of that identity, in walk order
        self._built: dict[tuple[str, str, str], Objects] = {}
        self._raw: dict[str, Objects] = {}
        # Kustomization key -> the YAML of each of its _raw objects as kustomize printed
        # it (what Flux substitutes; BuildResult.texts)
        self._raw_texts: dict[str, list[str | None]] = {}
        # Kustomization key -> objects its ResourceSets generated (kept across substitution passes)
        self._generated: dict[str, list[Rendered]] = {}
        # Kustomization key -> the walk's substitution: reused by the final pass when the
        # built objects and the variables are the same (most are: half of the substitution)
        self._walk_pass: dict[str, _Substituted] = {}
        root_repo = entry.git_repository or {}
        self.root_source = (
            str(root_repo.get("kind") or "GitRepository"),
            meta(root_repo).get("namespace") or "flux-system",
            meta(root_repo).get("name") or "flux-system",
        )
        self.root_url = str((root_repo.get("spec") or {}).get("url") or "")
        root_dir = normalize_repo_path(self.result.root_path) or ""
        self.cluster_folders = []  # the cluster folder and its parents, nearest first
        folder = root_dir
        while True:
            self.cluster_folders.append(folder)
            if not folder:
                break
            folder = posixpath.dirname(folder)
        self.source_roots: dict[tuple[str, str, str], str] = {self.root_source: entry.source_root}
        self.substitute_seconds = 0.0
        # builds started by this walk, by build key (Workspace.build_key), and the builds
        # not yet looked into for Kustomizations to run ahead: future -> (Kustomization, depth)
        self._futures: dict[tuple[str, str, str], Future[BuildResult]] = {}
        self._watched: dict[Future[BuildResult], tuple[FluxKustomization, int]] = {}
        self._ahead_keys: set[str] = set()  # Kustomizations whose builds were started ahead
        self.run_ahead = run_ahead  # start builds before the walk asks (see the module's doc)

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
        with ThreadPoolExecutor(max_workers=self.workspace.workers) as pool:
            while level and depth < MAX_DEPTH:
                if self.progress:
                    done = len(self.result.kustomizations) - len(level)
                    self.progress(
                        f"cluster {self.entry.name}: rendering {len(level)} Kustomization(s) at depth {depth} ({done} done)"
                    )
                # sources are resolved in walk order (deterministic), builds run in parallel
                targets = [(ks, self._safely(ks, self._resolve, ks)) for ks in level]
                futures = [self._submit(pool, ks, t, depth) if t else None for ks, t in targets]
                self._await(pool, [f for f in futures if f is not None])
                for (ks, target), future in zip(targets, futures):
                    if future is not None:
                        self._safely(ks, self._record_build, ks, target, future)
                next_level: list[FluxKustomization] = []
                for ks in level:
                    self._safely(ks, self._substitute, ks)
                    next_level.extend(self._safely(ks, self._children, ks) or [])
                level = next_level
                depth += 1
            for future in self._watched:  # run ahead and never asked for: not started, not run
                future.cancel()
        if level:
            self.warn(self.entry.root_file, f"Kustomization tree deeper than {MAX_DEPTH} levels: stopped")
        for ks in self.result.kustomizations.values():
            self._safely(ks, self._substitute, ks, True)
        self._walk_pass.clear()
        self.result.source_roots = {f"{k[0]}/{k[1]}/{k[2]}": v for k, v in self.source_roots.items()}
        return self.result

    # -- builds, and running them ahead of the walk ------------------------------------
    def _submit(
        self, pool: ThreadPoolExecutor, ks: FluxKustomization, target: tuple[str, str], depth: int
    ) -> Future[BuildResult]:
        """The build the walk asks for: the one started ahead when there is one."""
        key = self.workspace.build_key(target[0], target[1], ks.spec)
        future = self._futures.get(key)
        if future is not None:
            self.workspace.claim(key)
            return future
        future = pool.submit(self.workspace.build, target[0], target[1], ks.spec)
        self._futures[key] = future
        self._watched[future] = (ks, depth)
        return future

    def _await(self, pool: ThreadPoolExecutor, needed: list[Future[BuildResult]]) -> None:
        """Wait until the builds of the level are done; meanwhile, each build done starts
        the builds of the Kustomizations in its output (in the order the builds were asked)."""
        while True:
            for future in [f for f in self._watched if f.done()]:
                ks, depth = self._watched.pop(future)
                if self.run_ahead and not future.cancelled() and future.exception() is None:
                    self._run_ahead(pool, ks, future.result(), depth)
            waiting = [f for f in needed if not f.done()]
            if not waiting:
                return
            wait(waiting + list(self._watched), return_when=FIRST_COMPLETED)

    def _run_ahead(self, pool: ThreadPoolExecutor, parent: FluxKustomization, built: BuildResult, depth: int) -> None:
        """Start the builds of the Flux Kustomizations a build holds, as the walk will most
        likely ask for them: substituted with the variables known now, their sources mapped
        as the walk mapped them so far. Nothing the walk records is touched. Skipped when a
        substituteFrom source is not rendered yet, or a source is not mapped yet."""
        if built.error or depth + 1 >= MAX_DEPTH:
            return
        started = time.perf_counter()
        try:
            self._start_children(pool, parent, built, depth)
        except Exception:  # noqa: BLE001 - odd input: the walk reports it, nothing runs ahead
            pass
        self.substitute_seconds += time.perf_counter() - started

    def _start_children(
        self, pool: ThreadPoolExecutor, parent: FluxKustomization, built: BuildResult, depth: int
    ) -> None:
        """The builds `_run_ahead` starts for one build done."""
        post_build = parent.post_build
        variables: dict[str, VarValue] = {}
        if post_build is not None:
            for ref in post_build.get("substituteFrom") or []:
                if isinstance(ref, dict) and not ref.get("optional"):
                    if (ref.get("kind") or "", parent.namespace, ref.get("name") or "") not in self._built:
                        return
            variables = self._variables(parent, False)
        for (raw, file, _gen), text in zip(built.objects, _texts_of(built)):
            if not is_flux_kustomization(raw):
                continue
            obj = self._substituted(parent, raw, file, post_build, variables, text)[0]
            if not is_flux_kustomization(obj):
                continue
            child = FluxKustomization(
                name=meta(obj).get("name") or "",
                namespace=meta(obj).get("namespace") or parent.namespace,
                spec=copy.deepcopy(obj.get("spec") or {}),
                source_file=file,
                parent=parent.key,
            )
            if child.key in self.result.kustomizations or child.key in self._ahead_keys:
                continue
            self._ahead_keys.add(child.key)
            target = self._peek(child)
            if target is None:
                continue
            key = self.workspace.build_key(target[0], target[1], child.spec)
            if key in self._futures:
                continue
            future = pool.submit(self.workspace.build, target[0], target[1], child.spec, True)
            self._futures[key] = future
            self._watched[future] = (child, depth + 1)

    def _peek(self, ks: FluxKustomization) -> tuple[str, str] | None:
        """What `_resolve` will return for this Kustomization, when it can tell without
        mapping a source or assembling an artifact; else None. No side effect."""
        kind, ref_key, path = _source_and_path(ks)
        if path is None:
            return None
        if kind == "ExternalArtifact":
            tree = f"{self.entry.name}/ExternalArtifact/{ref_key[1]}/{ref_key[2]}"
            if tree in self.workspace.trees and self.workspace.tree_dir_exists(tree, path):
                return (tree, path)
            return None
        root = self.source_roots.get(ref_key)
        if root is None:
            return None
        return (REPO_TREE, posixpath.join(root, path) if root and path else (root or path))

    def _expand_resourcesets(self, ks: FluxKustomization) -> None:
        """ResourceSets this Kustomization applies generate objects as the Flux Operator
        would; they join the Kustomization's output with the ResourceSet as owner."""
        resourcesets = [r for r in ks.objects if is_resourceset(r.obj)]
        if not resourcesets or ks.key in self._generated:
            return
        providers = [r.obj for k in self.result.kustomizations.values() for r in k.objects if is_input_provider(r.obj)]
        generated: list[Rendered] = []
        for rendered in resourcesets:
            owner = f"ResourceSet/{rendered.namespace or 'default'}/{rendered.name}"
            expansion = expand_resourceset(rendered.obj, providers)
            for problem in expansion.warnings:
                self.warn(rendered.source_file, problem)
            for obj in expansion.objects:
                generated.append(
                    Rendered(
                        obj=obj,
                        raw=obj,
                        source_file=rendered.source_file,
                        managed_by=ks.key,
                        generated_by="ResourceSet",
                        owner=owner,
                    )
                )
                key = (str(obj.get("kind") or ""), meta(obj).get("namespace") or "", meta(obj).get("name") or "")
                self._built.setdefault(key, []).append((obj, rendered.source_file, "ResourceSet"))
        self._generated[ks.key] = generated
        ks.objects = ks.objects + generated

    def _children(self, ks: FluxKustomization) -> list[FluxKustomization]:
        self._expand_resourcesets(ks)
        children = []
        for rendered in ks.objects:
            obj = rendered.obj
            if not is_flux_kustomization(obj):
                continue
            name = meta(obj).get("name") or ""
            namespace = meta(obj).get("namespace") or ks.namespace
            key = f"{namespace}/{name}"
            if key in self.result.kustomizations:
                existing = self.result.kustomizations[key]
                if key != ks.key and existing.parent != ks.key:
                    self.warn(
                        rendered.source_file,
                        f"Kustomization {key} is applied by both {existing.parent or 'the cluster root'} and {ks.key}; the first wins",
                    )
                continue
            child = FluxKustomization(
                name=name,
                namespace=namespace,
                spec=copy.deepcopy(obj.get("spec") or {}),
                source_file=rendered.source_file,
                parent=ks.key,
                owner=rendered.owner,
            )
            self.result.kustomizations[key] = child
            children.append(child)
        return children

    def _safely(self, ks: FluxKustomization, step: Callable[..., Any], *args: Any) -> Any:
        """Run one step for one Kustomization. Odd input (a spec field of the wrong type)
        must not stop the walk: a step that fails fails its Kustomization, reported.
        Only the exception's type is shown: its text could quote input values."""
        try:
            return step(*args)
        except Exception as exc:  # noqa: BLE001
            self._fail(
                ks, f"cannot be rendered: its spec has a field of an unexpected type or shape ({type(exc).__name__})"
            )
            return None

    # -- sources ---------------------------------------------------------------
    def _fail(self, ks: FluxKustomization, reason: str) -> None:
        ks.render_error = reason
        self.warn(ks.source_file, f"Kustomization {ks.key}: {reason}")

    def _resolve(self, ks: FluxKustomization) -> tuple[str, str] | None:
        """(tree, path in the tree) the Kustomization builds, or None (reported)."""
        spec = ks.spec
        kind, ref_key, path = _source_and_path(ks)
        if path is None:
            self._fail(ks, f"path {spec.get('path')!r} points outside the source: refused")
            return None
        if kind == "ExternalArtifact":
            tree = self._artifact(ks, ref_key)
            if tree is None:
                return None
            if not self.workspace.tree_dir_exists(tree, path):
                self._fail(ks, f"path {spec.get('path')!r} not found in {kind} {ref_key[1]}/{ref_key[2]}")
                return None
            ks.source_dir = self.workspace.trees[tree].repo_path(path)
            return (tree, path)
        root = self._source_root(ref_key, path)
        if root is None:
            self._external(ks, ref_key)
            return None
        rel = posixpath.join(root, path) if root and path else (root or path)
        ks.source_dir = rel
        return (REPO_TREE, rel)

    def _external(self, ks: FluxKustomization, ref_key: tuple[str, str, str]) -> None:
        """A Kustomization whose source is another repository or artifact: never built from
        this repository's files (that would report this repository's objects as its own)."""
        found = self._built.get(ref_key)
        spec = (found[0][0].get("spec") if found else None) or {}
        url = str(spec.get("url") or spec.get("endpoint") or "") if isinstance(spec, dict) else ""
        ks.external_source = url or "(source not defined in this repository)"
        where = f" ({url})" if url else " (not defined in this repository)"
        self.warn(
            ks.source_file,
            f"Kustomization {ks.key} reads {ref_key[0]} {ref_key[1]}/{ref_key[2]}{where}, which is "
            "not this repository: kept in the graph as external, not rendered",
        )

    def _source_root(self, ref_key: tuple[str, str, str], path: str) -> str | None:
        """The repo folder a GitRepository/OCIRepository/Bucket stands for, or None."""
        if ref_key in self.source_roots:
            return self.source_roots[ref_key]
        found = self._built.get(ref_key)
        obj = found[0][0] if found else None
        url = str(((obj or {}).get("spec") or {}).get("url") or "")
        if obj is not None and self.root_url and url == self.root_url:
            # the same URL as the cluster's own source: the same artifact
            self.source_roots[ref_key] = self.source_roots[self.root_source]
            return self.source_roots[ref_key]
        if ref_key[0] == "OCIRepository" and obj is not None and path:
            # an artifact pushed from a folder of this repository (`flux push artifact`):
            # only a path that names a folder can tell; "./" of a vendor artifact cannot
            for folder in self.cluster_folders:
                if self.workspace.repo_dir_exists(posixpath.join(folder, path) if folder else path):
                    self.source_roots[ref_key] = folder
                    return folder
        return None

    def _artifact(self, ks: FluxKustomization, ref_key: tuple[str, str, str]) -> str | None:
        # per cluster: two clusters' artifacts of one name hold different folders
        tree_name = f"{self.entry.name}/ExternalArtifact/{ref_key[1]}/{ref_key[2]}"
        if tree_name in self.workspace.trees:
            return tree_name
        generators = [
            o
            for (kind, ns, _), objs in sorted(self._built.items())
            if kind == "ArtifactGenerator" and ns == ref_key[1]
            for o, _, _ in objs[:1]
            if api_group(o) == ARTIFACT_GROUP
        ]
        found = find_artifact(generators, ref_key[2])
        if found is None:
            self._fail(
                ks, f"ExternalArtifact {ref_key[1]}/{ref_key[2]}: no ArtifactGenerator in this cluster produces it"
            )
            return None
        generator, artifact = found
        aliases: dict[str, str | None] = {}
        for source in (generator.get("spec") or {}).get("sources") or []:
            if isinstance(source, dict) and source.get("alias"):
                key = (
                    source.get("kind") or "GitRepository",
                    source.get("namespace") or meta(generator).get("namespace") or "",
                    source.get("name") or "",
                )
                aliases[source["alias"]] = self._source_root(key, "")
        tree, problems = artifact_tree(tree_name, artifact, aliases, self.workspace.repo_files())
        for problem in problems:
            self.warn(
                ks.source_file, f"ArtifactGenerator {meta(generator).get('name')}, artifact {ref_key[2]}: {problem}"
            )
        if tree is None:
            self._fail(ks, f"ExternalArtifact {ref_key[1]}/{ref_key[2]} could not be assembled from this repository")
            return None
        self.workspace.add_tree(tree)
        self.source_roots[("ExternalArtifact", ref_key[1], ref_key[2])] = "; ".join(
            f"{dest or '.'} <- {src or '.'}" for dest, src in sorted(tree.dirs.items())
        )
        return tree_name

    # -- building --------------------------------------------------------------
    def _record_build(self, ks: FluxKustomization, target: tuple[str, str], future: Any) -> None:
        self._record(ks, target, future.result())

    def _record(self, ks: FluxKustomization, target: tuple[str, str], result: BuildResult) -> None:
        for w in result.warnings:
            self.result.warnings.append(LoadWarning(w.file, w.line, w.reason, self.entry.name))
        if result.error:
            self._fail(ks, f"kustomize build of {ks.source_dir or '.'} failed: {result.error}")
            return
        self._raw[ks.key] = result.objects
        self._raw_texts[ks.key] = _texts_of(result)
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
                    self.warn(
                        ks.source_file,
                        f"Kustomization {ks.key}: substituteFrom {kind} {ks.namespace}/{name} not found in this cluster (Flux would fail to reconcile it)",
                    )
                continue
            obj, _file, _gen = found[0]
            origin = f"{kind} {ks.namespace}/{name}"
            if kind == "Secret":
                # never read a Secret's values: its keys become redacted variables
                for field_name in ("data", "stringData"):
                    values = obj.get(field_name)
                    for k in values if isinstance(values, dict) else []:
                        variables[str(k)] = VarValue(None, origin, redacted=True)
            else:
                data = obj.get("data")
                for k, v in data.items() if isinstance(data, dict) else []:
                    variables[str(k)] = VarValue("" if v is None else str(v).replace("\n", ""), origin)
        inline = post_build.get("substitute")
        for k, v in inline.items() if isinstance(inline, dict) else []:
            variables[str(k)] = VarValue(
                "" if v is None else str(v).replace("\n", ""), f"Kustomization {ks.key} (inline)"
            )
        bad = [k for k in variables if not VAR_NAME.match(k)]
        if bad and final:
            self.warn(
                ks.source_file, f"Kustomization {ks.key}: invalid variable names {bad}: Flux refuses to substitute"
            )
        if final:
            for name, var in variables.items():
                self.result.variable_sources.setdefault(name, {"origins": {}})
                self.result.variable_sources[name]["origins"][var.origin] = var.value
        return variables

    def _substitute(self, ks: FluxKustomization, final: bool = False) -> None:
        started = time.perf_counter()
        raw_objects = self._raw.get(ks.key, [])
        post_build = ks.post_build
        variables = self._variables(ks, final) if post_build is not None else {}
        walked = self._walk_pass.get(ks.key) if final else None
        if walked is not None and walked.raw_objects is raw_objects and walked.variables == variables:
            done = walked
        else:
            texts = self._raw_texts.get(ks.key) or [None] * len(raw_objects)
            done = self._substitute_objects(ks, raw_objects, texts, post_build, variables)
            if not final:
                self._walk_pass[ks.key] = done
        if final:
            for file, reason in done.invalid:
                self.warn(file, reason)
        ks.objects = done.rendered + self._generated.get(ks.key, [])
        ks.unresolved_vars = list(done.unresolved)
        ks.variables_used = list(done.used)
        self.substitute_seconds += time.perf_counter() - started

    def _substitute_objects(
        self,
        ks: FluxKustomization,
        raw_objects: Objects,
        texts: list[str | None],
        post_build: dict[str, Any] | None,
        variables: dict[str, VarValue],
    ) -> _Substituted:
        done = _Substituted(raw_objects, variables)
        for (raw, file, gen), text in zip(raw_objects, texts):
            obj, unresolved, referenced, invalid = self._substituted(ks, raw, file, post_build, variables, text)
            if invalid:
                done.invalid.append((file, invalid))
            for name in unresolved:
                if name not in done.unresolved:
                    done.unresolved.append(name)
            for name in referenced:
                if name not in done.used:
                    done.used.append(name)
            done.rendered.append(
                Rendered(
                    obj=obj,
                    raw=raw,
                    source_file=file,
                    managed_by=ks.key,
                    generated_by=gen,
                    unresolved_vars=tuple(unresolved),
                    variables=tuple(referenced),
                )
            )
        return done

    def _substituted(
        self,
        ks: FluxKustomization,
        raw: dict[str, Any],
        file: str,
        post_build: dict[str, Any] | None,
        variables: dict[str, VarValue],
        built_text: str | None,
    ) -> tuple[dict[str, Any], list[str], list[str], str]:
        """One object after substitution: (object, unresolved variables, variables it
        uses, why the substituted text is not an object: "" when it is). Flux substitutes
        each object's YAML as kustomize prints it: `built_text` when the build gave it (it
        still holds kustomize's origin annotation, removed again below), else the object
        dumped (`kind: List` items, builds without texts)."""
        text = built_text if built_text is not None else dump(raw)
        active = post_build is not None and not substitution_disabled(raw)
        referenced = referenced_variables(text) if active and "${" in text else []
        obj, unresolved, invalid = raw, [], ""
        if active and "$" in text:
            sub = substitute(text, variables)
            unresolved = sub.unresolved
            docs, doc_warnings = load_documents(sub.text, file)
            if doc_warnings or not docs or not isinstance(docs[0][1], dict):
                reason = doc_warnings[0].reason if doc_warnings else "empty result"
                invalid = f"post-build substitution by {ks.key} produced invalid YAML for {raw.get('kind')} {_key(raw)}: {reason}"
            else:
                obj = docs[0][1]
                if built_text is not None:
                    pop_origin(obj, "")
        return obj, unresolved, referenced, invalid


def _texts_of(result: BuildResult) -> list[str | None]:
    """The build's object texts, one for each object (None where it gave none)."""
    return result.texts if len(result.texts) == len(result.objects) else [None] * len(result.objects)


@dataclass
class _Substituted:
    """One Kustomization's objects after a substitution pass, and what it was given."""

    raw_objects: Objects
    variables: dict[str, VarValue]
    rendered: list[Rendered] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): warned by the final pass


def _source_and_path(ks: FluxKustomization) -> tuple[str, tuple[str, str, str], str | None]:
    """The Kustomization's source kind, its (kind, namespace, name) and its path in the
    source (None when the path leaves it): what `_resolve` and `_peek` both start from."""
    ref = as_dict(ks.spec.get("sourceRef"))
    kind = ref.get("kind") or "GitRepository"
    ref_key = (kind, ref.get("namespace") or ks.namespace, ref.get("name") or "")
    return kind, ref_key, normalize_repo_path(str(ks.spec.get("path") or ""))


def _key(obj: dict[str, Any]) -> str:
    m = meta(obj)
    return f"{m.get('namespace') or ''}/{m.get('name') or ''}"


def substitution_disabled(obj: dict[str, Any]) -> bool:
    """The `kustomize.toolkit.fluxcd.io/substitute: disabled` label or annotation."""
    m = meta(obj)
    for field_name in ("labels", "annotations"):
        values = m.get(field_name)
        if isinstance(values, dict) and values.get(DISABLED_KEY) == "disabled":
            return True
    return False


def render_clusters(
    entries: list[ClusterEntry],
    repo_root: Path,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    cache: RenderCache | None = None,
) -> Iterator[tuple[ClusterRender, dict[str, float]]]:
    """Render clusters, yielding (render, stage timings) per cluster. Clusters whose root
    sources are packed alike (same `spec.ignore`) share one prepared workspace, so the
    repository is copied once and a path built for one cluster is not built again.
    `cache`: a RenderCache (loaders/render_cache.py) keeping builds across loads."""
    groups: dict[str | None, list[ClusterEntry]] = {}
    for entry in entries:
        ignore = str(((entry.git_repository or {}).get("spec") or {}).get("ignore") or "") or None
        groups.setdefault(ignore, []).append(entry)
    for ignore, group in groups.items():
        if progress:
            progress(f"preparing the source for {', '.join(e.name for e in group)}")
        started = time.perf_counter()
        with Workspace(repo_root, ignore=ignore, workers=workers or default_workers(), cache=cache) as workspace:
            prepared = time.perf_counter() - started
            for entry in group:
                kustomize_before = workspace.kustomize_seconds
                hits_before = len(workspace.limit_hits)
                renderer = ClusterRenderer(entry, workspace, progress)
                for w in workspace.warnings:
                    renderer.warn(w.file, w.reason, w.line)
                result = renderer.render()
                result.limit_hits = [f"{h.path or '.'}: {h.hit}" for h in workspace.limit_hits[hits_before:]]
                rendered_dirs = {
                    ks.source_dir
                    for ks in result.kustomizations.values()
                    if ks.source_dir is not None and not ks.render_error
                }
                for w in workspace.offline_warnings:
                    if any(d == "" or w.file.startswith(d + "/") for d in rendered_dirs):
                        renderer.warn(w.file, w.reason, w.line)
                yield (
                    result,
                    {
                        "prepare": prepared,
                        "kustomize": workspace.kustomize_seconds - kustomize_before,
                        "substitute": renderer.substitute_seconds,
                    },
                )
                prepared = 0.0
