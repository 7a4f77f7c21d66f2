"""Rendered objects -> GraphDoc records, one module per concern."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kg.graphdoc import GraphDoc
from kg.schema import WORKLOAD_KINDS

from ..model import ClusterRender, LoadWarning, Rendered, api_group
from .config import add_configmap, add_variables
from .context import GENERATOR_KINDS, ClusterContext, logical_name
from .external_secrets import ESO_GROUP, ESO_KINDS, add_external_secrets
from .flux import (
    add_flux_object,
    add_kustomizations,
    add_sources_without_objects,
    link_closures,
    mark_dependency_cycles,
    mark_tree_depths,
)
from .secrets import SPC_GROUP, add_secret, add_secret_provider_class, finish_secrets
from .settings import SettingsExtractor
from .workloads import add_namespace, add_service, add_workload, link_calls, link_services


def _index_generated_names(ctx: ClusterContext, objects: list[Rendered]) -> None:
    for rendered in objects:
        if rendered.kind in ("ConfigMap", "Secret") and rendered.generated_by in GENERATOR_KINDS:
            logical, generated = logical_name(rendered)
            if generated:
                ctx.names[(rendered.kind, ctx.namespace_of(rendered), generated)] = logical


def extract_cluster(
    repo: str, cluster: ClusterRender, gd: GraphDoc, repo_root: Path | None = None
) -> tuple[dict[str, int], list[LoadWarning]]:
    """Add one rendered cluster to the GraphDoc. Returns counts of objects by outcome.
    `repo_root`: the repository on disk, where settings find a HelmRelease's values as
    written before a patch changed them."""
    ctx = ClusterContext(repo=repo, cluster=cluster, gd=gd)
    gd.add_node(
        "Cluster",
        ctx.prefix,
        name=cluster.name,
        kind="Cluster",
        repo=repo,
        cluster=cluster.name,
        path=cluster.root_path,
        source_file=cluster.root_file,
        entry_point=cluster.entry_point,
    )
    gd.add_rel("HAS_CLUSTER", ("Repo", repo), ("Cluster", ctx.prefix))
    objects = cluster.objects()
    _index_generated_names(ctx, objects)
    add_kustomizations(ctx)
    add_sources_without_objects(ctx)
    stats = {"objects": len(objects), "modelled": 0, "other": 0}
    # ConfigMaps first: workloads that read them through envFrom need their keys.
    ordered = sorted(objects, key=lambda r: 0 if r.kind == "ConfigMap" else 1)
    external_secrets: list[Rendered] = []  # after the loop: ExternalSecrets need their stores
    for rendered in ordered:
        try:
            outcome = _add_object(ctx, rendered, external_secrets)
        except Exception as exc:  # noqa: BLE001 - odd input must not stop the load
            ctx.warn(
                rendered.source_file,
                f"{rendered.kind} {ctx.namespace_of(rendered)}/{rendered.name} left out: a field has an "
                f"unexpected type or shape ({type(exc).__name__})",
            )
            outcome = "other"
        stats[outcome] += 1
    for step in (
        add_external_secrets,
        add_variables,
        link_services,
        link_calls,
        finish_secrets,
        mark_dependency_cycles,
        mark_tree_depths,
        link_closures,
    ):
        _safely(ctx, step, *((ctx, external_secrets) if step is add_external_secrets else (ctx,)))
    # settings last: every object's node exists (ExternalSecrets are added by the steps above)
    settings = SettingsExtractor(ctx, repo_root)
    for rendered in ordered:
        settings.add(rendered)
    return stats, ctx.warnings


def _safely(ctx: ClusterContext, step: Callable[..., object], *args: Any) -> None:
    """A linking pass that fails on odd input is reported, and the load goes on. Only
    the exception's type is shown: its text could quote input values."""
    try:
        step(*args)
    except Exception as exc:  # noqa: BLE001
        ctx.warn(ctx.cluster.root_file, f"{step.__name__} stopped early on unexpected input ({type(exc).__name__})")


def _add_object(ctx: ClusterContext, rendered: Rendered, external_secrets: list[Rendered]) -> str:
    """Model one rendered object; "modelled", or "other" for kinds kg does not model."""
    kind, group = rendered.kind, api_group(rendered.obj)
    if add_flux_object(ctx, rendered):
        pass
    elif kind == "Namespace" and group == "":
        add_namespace(ctx, rendered)
    elif kind in WORKLOAD_KINDS and group in ("apps", "batch"):
        add_workload(ctx, rendered)
    elif kind == "Service" and group == "":
        add_service(ctx, rendered)
    elif kind == "ConfigMap" and group == "":
        add_configmap(ctx, rendered)
    elif kind == "Secret" and group == "":
        add_secret(ctx, rendered)
    elif kind == "SecretProviderClass" and group == SPC_GROUP:
        add_secret_provider_class(ctx, rendered)
    elif kind in ESO_KINDS and group == ESO_GROUP:
        external_secrets.append(rendered)
    elif kind == "Kustomization":
        pass  # Flux Kustomizations come from the rendered tree (add_kustomizations)
    else:
        return "other"
    return "modelled"
