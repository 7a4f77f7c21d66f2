"""HelmRelease rendering benchmark: N releases of one app-template-like chart served
from a loopback chart repository (the test charts of tests/helm_support.py).

    python benchmarks/bench_helm.py [N] [WORKERS]     # default 50 releases, 2 workers

Three runs, each a new HelmRenderer as a new `kg load` would make:
  cold   empty chart cache: the index and the chart are fetched, every release rendered
  warm   chart cache filled: the index is read again (constraint), no chart fetched
  reuse  the same renderer again: every render comes from the in-memory content key
Prints wall time, time inside `helm template` and its share. Figures, not assertions.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    from helm_support import APP_VALUES_BENCH, ChartServer, hermetic_helm_env, package_repository, write_sources

    from kg.loaders.helm import HelmRenderer, find_helm

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    helm = find_helm()
    if helm is None:
        sys.exit("no helm: run scripts/helm-local install")
    with tempfile.TemporaryDirectory(prefix="kg-bench-helm-") as tmp:
        root = Path(tmp)
        os.environ.update(hermetic_helm_env(root))
        package_repository(helm, write_sources(root / "src"), root / "repo")
        server = ChartServer(root / "repo")
        sources = [
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "HelmRepository",
                "metadata": {"name": "charts", "namespace": "flux-system"},
                "spec": {"url": server.url},
            }
        ]
        releases = []
        for i in range(count):
            values = APP_VALUES_BENCH(f"app{i}")
            releases.append(
                {
                    "apiVersion": "helm.toolkit.fluxcd.io/v2",
                    "kind": "HelmRelease",
                    "metadata": {"name": f"app{i}", "namespace": "apps"},
                    "spec": {
                        "chart": {
                            "spec": {
                                "chart": "app",
                                "version": "^1.0",
                                "sourceRef": {"kind": "HelmRepository", "name": "charts", "namespace": "flux-system"},
                            }
                        },
                        "values": values,
                    },
                }
            )
        cache = root / "chart-cache"
        print(f"{count} HelmReleases of one chart, {workers} workers, {helm}")
        renderer = None
        for label in ("cold", "warm", "reuse"):
            if label != "reuse":
                renderer = HelmRenderer(helm, cache, workers=workers)
            assert renderer is not None
            helm_before = renderer.helm_seconds
            started = time.perf_counter()
            outs = renderer.render_all(releases, sources)
            wall = time.perf_counter() - started
            errors = [o.error for o in outs if o.error]
            objects = sum(len(o.objects) for o in outs)
            in_helm = renderer.helm_seconds - helm_before
            # helm time is summed over worker threads: its share of the wall is per worker
            share = in_helm / (wall * workers) if wall else 0.0
            print(
                f"  {label:5s} {wall:6.2f} s  objects {objects:4d}  errors {len(errors)}  "
                f"chart fetches {renderer.cache.fetches}  index fetches {renderer.cache.index_fetches}  "
                f"helm template {in_helm:5.2f} s (summed over workers; {share:.0%} of worker time)"
            )
        server.stop()


if __name__ == "__main__":
    main()
