"""Write a synthetic but Flux-valid repository of a chosen size.

    python benchmarks/generate_repo.py OUT --objects 20000
    python benchmarks/generate_repo.py OUT --clusters 2 --kustomizations 5 --workloads 10

Shape, per cluster (clusters/<c>/ is the flux bootstrap entry point):
- flux-system: GitRepository + root Kustomization (gotk-sync.yaml), a ConfigMap
  `cluster-vars` and a Secret `cluster-secrets` (fake values) for substitution;
- `infra`: Namespace vault, HelmRepository, HelmRelease vault;
- K app Kustomizations `app-<i>` (./apps/<c>/app-<i>), each dependsOn the previous
  one (a chain) and `infra`, with postBuild substitute + substituteFrom both sources;
- per app: a Namespace and W workloads, each a Deployment, a Service, a ConfigMap
  (keys with ${vars}, one from the Secret, and an in-cluster URL of the previous
  workload) and a Vault SecretProviderClass the Deployment mounts.
Rendered objects: about C * (K * (4W + 1) + 8). Deterministic for the same arguments.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import yaml

FLUX_KS = "kustomize.toolkit.fluxcd.io/v1"
SECRET_VALUE = "bench-secret-value-{cluster}"  # fake; the leak tests look for it


def shape(objects: int) -> tuple[int, int, int]:
    """(clusters, kustomizations per cluster, workloads per kustomization) for about
    `objects` rendered objects: 10 workloads per app, a cluster per 2,500 objects."""
    workloads = 10 if objects >= 200 else max(1, objects // 20)
    clusters = max(1, min(8, objects // 2500))
    per_cluster = objects / clusters - 8
    kustomizations = max(1, round(per_cluster / (4 * workloads + 1)))
    return clusters, kustomizations, workloads


def _write(path: Path, *docs: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def _flux_ks(name: str, path: str, depends: list[str], post_build: dict | None = None) -> dict:
    spec: dict = {
        "interval": "10m",
        "path": path,
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
    }
    if depends:
        spec["dependsOn"] = [{"name": d} for d in depends]
    if post_build:
        spec["postBuild"] = post_build
    return {
        "apiVersion": FLUX_KS,
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system"},
        "spec": spec,
    }


def _workload(cluster: str, app: str, i: int) -> list[dict]:
    name, ns = f"{app}-wl-{i}", app
    previous = f"{app}-wl-{i - 1}" if i else "vault"
    labels = {"app": name}
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{name}-config", "namespace": ns},
        "data": {
            "LOG_LEVEL": "${log_level}",
            "CLUSTER": "${cluster_name}",
            "APP": "${app_name:=unknown}",
            "API_TOKEN": "${api_token}",
            "UPSTREAM_URL": f"http://{previous}.{ns if i else 'vault'}.svc.cluster.local:{8080 if i else 8200}",
            "REPLICAS": str(1 + i % 3),
        },
    }
    spc = {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": f"{name}-vault", "namespace": ns},
        "spec": {
            "provider": "vault",
            "parameters": {
                "vaultAddress": "http://vault.vault.svc:8200",
                "roleName": name,
                "objects": yaml.safe_dump(
                    [{"objectName": "db-password", "secretPath": f"kv/data/{cluster}/{name}", "secretKey": "password"}]
                ),
            },
            "secretObjects": [
                {
                    "secretName": f"{name}-db",
                    "type": "Opaque",
                    "data": [{"key": "password", "objectName": "db-password"}],
                }
            ],
        },
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": 1 + i % 3,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": f"registry.example.com/{app}/{name}:1.{i}.0",
                            "envFrom": [{"configMapRef": {"name": f"{name}-config"}}],
                            "env": [
                                {
                                    "name": "DB_PASSWORD",
                                    "valueFrom": {"secretKeyRef": {"name": f"{name}-db", "key": "password"}},
                                },
                                {
                                    "name": "LOG",
                                    "valueFrom": {"configMapKeyRef": {"name": f"{name}-config", "key": "LOG_LEVEL"}},
                                },
                            ],
                            "volumeMounts": [{"name": "secrets", "mountPath": "/mnt/secrets", "readOnly": True}],
                        }
                    ],
                    "volumes": [
                        {
                            "name": "secrets",
                            "csi": {
                                "driver": "secrets-store.csi.k8s.io",
                                "readOnly": True,
                                "volumeAttributes": {"secretProviderClass": f"{name}-vault"},
                            },
                        }
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": labels, "ports": [{"name": "http", "port": 8080}]},
    }
    return [deployment, service, config, spc]


def generate(root: Path, clusters: int, kustomizations: int, workloads: int) -> dict[str, int]:
    """Write the repository under `root` (emptied first). Returns counts."""
    if root.exists():
        shutil.rmtree(root)
    objects = 0
    for c in range(clusters):
        cluster = f"cluster-{c}"
        base = root / "clusters" / cluster
        _write(
            base / "flux-system" / "gotk-sync.yaml",
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "GitRepository",
                "metadata": {"name": "flux-system", "namespace": "flux-system"},
                "spec": {"interval": "1m", "ref": {"branch": "main"}, "url": "https://git.example.com/bench/fleet.git"},
            },
            _flux_ks("flux-system", f"./clusters/{cluster}", []),
        )
        (base / "flux-system" / "kustomization.yaml").write_text("resources: [gotk-sync.yaml]\n")
        _write(
            base / "vars.yaml",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "cluster-vars", "namespace": "flux-system"},
                "data": {"cluster_name": cluster, "log_level": "info"},
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "cluster-secrets", "namespace": "flux-system"},
                "type": "Opaque",
                "stringData": {"api_token": SECRET_VALUE.format(cluster=cluster)},
            },
        )
        post_build = {
            "substituteFrom": [
                {"kind": "ConfigMap", "name": "cluster-vars"},
                {"kind": "Secret", "name": "cluster-secrets"},
            ]
        }
        apps = [_flux_ks("infra", f"./infrastructure/{cluster}", [], post_build)]
        for k in range(kustomizations):
            app = f"app-{k}"
            depends = ["infra"] + ([f"app-{k - 1}"] if k else [])
            apps.append(
                _flux_ks(app, f"./apps/{cluster}/{app}", depends, dict(post_build, substitute={"app_name": app}))
            )
            app_dir = root / "apps" / cluster / app
            _write(app_dir / "namespace.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": app}})
            for i in range(workloads):
                _write(app_dir / f"wl-{i}.yaml", *_workload(cluster, app, i))
            objects += 1 + 4 * workloads
        _write(base / "apps.yaml", *apps)
        _write(
            root / "infrastructure" / cluster / "vault.yaml",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "vault"}},
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "HelmRepository",
                "metadata": {"name": "hashicorp", "namespace": "flux-system"},
                "spec": {"interval": "1h", "url": "https://helm.releases.hashicorp.com"},
            },
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "kind": "HelmRelease",
                "metadata": {"name": "vault", "namespace": "vault"},
                "spec": {
                    "interval": "10m",
                    "chart": {
                        "spec": {
                            "chart": "vault",
                            "version": "0.28.0",
                            "sourceRef": {"kind": "HelmRepository", "name": "hashicorp", "namespace": "flux-system"},
                        }
                    },
                    "values": {"server": {"ha": {"enabled": True}}, "cluster": "${cluster_name}"},
                },
            },
        )
        objects += 2 + 2 + (1 + kustomizations) + 3  # sync, vars, Flux Kustomizations, infra
    return {
        "clusters": clusters,
        "kustomizations": clusters * (kustomizations + 2),
        "workloads": clusters * kustomizations * workloads,
        "objects": objects,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--objects", type=int, help="about this many rendered objects (chooses the shape)")
    parser.add_argument("--clusters", type=int, default=1)
    parser.add_argument("--kustomizations", type=int, default=3, help="app Kustomizations per cluster")
    parser.add_argument("--workloads", type=int, default=5, help="workloads per app Kustomization")
    args = parser.parse_args()
    dims = shape(args.objects) if args.objects else (args.clusters, args.kustomizations, args.workloads)
    counts = generate(args.out, *dims)
    print(", ".join(f"{k} {v}" for k, v in counts.items()), f"-> {args.out}")


if __name__ == "__main__":
    main()
