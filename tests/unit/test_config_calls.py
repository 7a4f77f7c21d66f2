"""Which configuration values name an in-cluster Service (candidates for CALLS)."""

import pytest

from kg.loaders.extract.workloads import called_services


@pytest.mark.parametrize(
    "value, hint, expected",
    [
        ("http://papi.backend-services.svc.cluster.local", "", [("papi", "backend-services")]),
        ("bolt://neo4j.data.svc:7687", "", [("neo4j", "data")]),
        ("redis.cache:6379", "", [("redis", "cache")]),
        ("http://ledger:8080/v1", "", [("ledger", "apps")]),
        ("ledger:8080", "", [("ledger", "apps")]),
        ("redis", "REDIS_HOST", [("redis", "apps")]),
        ("postgres://app:${db_password}@pg.db.svc:5432/app", "", [("pg", "db")]),
        # several in one config file
        ("a: http://one.x.svc:1\nb: https://two:2/", "", [("one", "x"), ("two", "apps")]),
    ],
)
def test_in_cluster_names_are_found(value, hint, expected):
    assert called_services(value, "apps", hint) == expected


@pytest.mark.parametrize(
    "value, hint",
    [
        ("info", "LOG_LEVEL"),  # a bare word is a host only when the key says so
        ("redis", "CACHE_TYPE"),
        ("papi", "OTEL_SERVICE_NAME"),
        ("https://git.nonprod.example.com", ""),  # public names
        ("1.42.0", "VERSION"),
        ("http://localhost:8080", ""),
        ("papi.wsgi:application", "APP"),  # looks like host:port but is not one
    ],
)
def test_ordinary_values_are_not_services(value, hint):
    assert called_services(value, "apps", hint) == []


RELEASE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: apps
spec:
  interval: 1h
  chart:
    spec:
      chart: {chart}
      sourceRef: {{kind: HelmRepository, name: charts, namespace: flux-system}}
  values:
{values}
"""


def test_args_chart_values_and_collectors_are_linked(tmp_path):
    """A workload's command line and a HelmRelease's values name what they call; a chart's
    values naming its own Services are not calls; a collector's remoteWrite SHIPS_TO its store."""
    from test_messy_input import make_repo

    from kg.loaders import load_repo

    indent = lambda text: "\n".join("    " + line for line in text.splitlines())  # noqa: E731
    files = {
        "apps/kustomization.yaml": "resources: [worker.yaml, cache.yaml, app.yaml, metrics.yaml, agent.yaml]\n",
        "apps/worker.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: apps}\n"
            "spec:\n  selector: {matchLabels: {app: worker}}\n  template:\n    metadata: {labels: {app: worker}}\n"
            "    spec:\n      containers:\n        - name: worker\n          image: worker:1\n"
            "          args: ['--broker=amqp://rabbit.queue.svc:5672', '--verbose']\n"
        ),
        "apps/cache.yaml": RELEASE.format(name="cache", chart="redis", values=indent("replica:\n  count: 2")),
        # calls the cache, and names its own Service (app-web), which is not a call
        "apps/app.yaml": RELEASE.format(
            name="app",
            chart="app-template",
            values=indent("env:\n  REDIS_URL: redis://cache-master.apps.svc:6379\n  SELF: http://app-web.apps.svc"),
        ),
        "apps/metrics.yaml": RELEASE.format(name="vm", chart="victoria-metrics-single", values=indent("x: 1")),
        "apps/agent.yaml": RELEASE.format(
            name="agent",
            chart="vmagent",
            values=indent("remoteWrite:\n  - url: http://vm-server.apps.svc:8428/api/v1/write"),
        ),
    }
    result = load_repo(make_repo(tmp_path, files))
    gd = result.graph
    calls = {
        (gd.nodes[r.start].props["name"], gd.nodes[r.end].props["name"], r.props.get("via"))
        for r in gd.rels.values()
        if r.type == "CALLS"
    }
    assert ("app", "cache", "values.env.REDIS_URL") in calls
    assert not [c for c in calls if c[0] == "app" and c[1] == "app"]
    ships = [r for r in gd.rels.values() if r.type == "SHIPS_TO"]
    assert [(gd.nodes[r.start].props["name"], gd.nodes[r.end].props["name"], r.props["signal"]) for r in ships] == [
        ("agent", "vm", "metrics")
    ]
    # rabbit is not in the repository, and no release makes it: no call, and no error
    assert not [c for c in calls if c[1] == "rabbit"]


def test_a_command_line_address_of_a_declared_service_is_a_call(tmp_path):
    from test_messy_input import make_repo

    from kg.loaders import load_repo

    files = {
        "apps/kustomization.yaml": "resources: [worker.yaml, queue.yaml]\n",
        "apps/worker.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: apps}\n"
            "spec:\n  selector: {matchLabels: {app: worker}}\n  template:\n    metadata: {labels: {app: worker}}\n"
            "    spec:\n      containers:\n        - name: worker\n          image: worker:1\n"
            "          command: [worker]\n          args: ['--broker=amqp://rabbit:5672', '-v']\n"
        ),
        "apps/queue.yaml": (
            "apiVersion: v1\nkind: Service\nmetadata: {name: rabbit, namespace: apps}\n"
            "spec:\n  selector: {app: rabbit}\n  ports: [{port: 5672}]\n"
        ),
    }
    gd = load_repo(make_repo(tmp_path, files)).graph
    (call,) = [r for r in gd.rels.values() if r.type == "CALLS"]
    assert gd.nodes[call.end].props["name"] == "rabbit" and call.props["via"] == "worker args[0]"
