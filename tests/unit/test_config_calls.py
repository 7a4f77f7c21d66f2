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
