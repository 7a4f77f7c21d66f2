// export: secret_stores
// summary: One row per ESO SecretStore / ClusterSecretStore: provider, server (raw and
// resolved), mount, KV version, auth method and role.
// columns: id, cluster, kind, name, namespace, provider, server, server_raw, mount, kv_version, vault_namespace, vault_role, vault_auth_mount_path, auth_method, source_file
MATCH (s:SecretStore)
WHERE s.repo = $repo
  AND (s.cluster IN $clusters OR $clusters IS NULL)
  AND coalesce(s.missing, false) = false
RETURN s.id AS id, s.cluster AS cluster, s.kind AS kind, s.name AS name, s.namespace AS namespace,
       s.provider AS provider, s.server AS server, s.server_raw AS server_raw, s.mount AS mount,
       s.kv_version AS kv_version, s.vault_namespace AS vault_namespace, s.vault_role AS vault_role,
       s.vault_auth_mount_path AS vault_auth_mount_path, s.auth_method AS auth_method,
       s.source_file AS source_file
ORDER BY name, kind, cluster, namespace
