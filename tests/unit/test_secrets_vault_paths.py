"""One Vault location, one spelling: the normalization rule of docs/secrets.md."""

import pytest

from kg.loaders.extract.vault import backend_key, from_api_path, from_kv


@pytest.mark.parametrize(
    "spc_path, store_mount, version, eso_key",
    [
        # SPC API path vs ESO store path + key: the seed's layout
        ("shared/data/secrets", "shared", "v2", "secrets"),
        # the key may repeat the mount, with or without the data segment
        ("kv/data/payments/db", "kv", "v2", "kv/payments/db"),
        ("kv/data/payments/db", "kv", "v2", "kv/data/payments/db"),
        # `v1/` prefix, leading slash and ?version= on the SPC side; `kv/data` as store path
        ("/v1/kv/data/payments/db?version=3", "kv/data", "v2", "payments/db"),
        # no store path: the key carries the mount (ESO inserts data/ for v2)
        ("kv/data/app/config", "", "v2", "kv/app/config"),
        # a mount of two segments
        ("teams/payments/data/db", "teams/payments", "v2", "db"),
        # KV v1: no data segment on either side
        ("secret/payments/legacy", "secret", "v1", "payments/legacy"),
    ],
)
def test_spc_and_eso_spellings_are_one_location(spc_path, store_mount, version, eso_key):
    spc = from_api_path(spc_path)
    eso = from_kv(store_mount, eso_key, version)
    assert spc.logical == eso.logical
    assert spc.api_path == eso.api_path


def test_kv_v2_location_keeps_both_forms():
    location = from_kv("kv", "payments/db", "")  # ESO's default version is v2
    assert (location.mount, location.path, location.kv_version) == ("kv", "payments/db", "v2")
    assert location.logical == "kv/payments/db"
    assert location.api_path == "kv/data/payments/db"


def test_a_kv_v1_path_containing_data_below_the_mount_is_not_rewritten_by_eso():
    # with a v1 store the key is taken as written: `data` is a folder there
    assert from_kv("secret", "app/data/x", "v1").logical == "secret/app/data/x"


def test_other_engines_are_read_as_written():
    location = from_api_path("database/creds/readonly")
    assert location.logical == location.api_path == "database/creds/readonly"
    assert location.kv_version == ""


@pytest.mark.parametrize(
    "address, namespace, key, service",
    [
        ("http://vault.vault.svc.cluster.local:8200", "apps", "vault.vault.svc.cluster.local:8200", ("vault", "vault")),
        ("https://vault.vault.svc:8200", "apps", "vault.vault.svc.cluster.local:8200", ("vault", "vault")),
        ("http://vault.vault:8200", "apps", "vault.vault.svc.cluster.local:8200", ("vault", "vault")),
        ("http://vault:8200", "secrets", "vault.secrets.svc.cluster.local:8200", ("vault", "secrets")),
        ("https://Vault.Example.com:8200/", "apps", "vault.example.com:8200", ("", "")),
        ("http://localhost:8200", "apps", "localhost:8200", ("", "")),
    ],
)
def test_every_spelling_of_a_server_is_one_backend(address, namespace, key, service):
    got_key, _host, got_service, got_namespace = backend_key(address, namespace)
    assert got_key == key
    assert (got_service, got_namespace) == service
