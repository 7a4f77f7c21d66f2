// export: secret_fetches
// summary: What each SecretProviderClass or ExternalSecret reads from Vault: one row per
// FETCHES (object name / target key, Vault key or property, the location in its logical
// and API forms, the server). Names only, never values.
// columns: reader_id, object_name, key, via, match, vault_path, api_path, mount, kv_version, backend
MATCH (r)-[f:FETCHES]->(p:VaultPath)
WHERE r.repo = $repo
  AND (r.cluster IN $clusters OR $clusters IS NULL)
RETURN r.id AS reader_id, f.object_name AS object_name, f.key AS key, f.via AS via, f.match AS match,
       p.path AS vault_path, p.api_path AS api_path, p.mount AS mount, p.kv_version AS kv_version,
       p.backend AS backend
ORDER BY reader_id, object_name, vault_path, key
