// export: external_secrets
// summary: One row per External Secrets Operator ExternalSecret with its store (secretStoreRef)
// and what it reads (`remote_keys`: names, never values).
// columns: id, cluster, name, namespace, target, store, store_kind, refresh_interval, remote_keys, source_file, store_provider, store_server
MATCH (e:ExternalSecret)
WHERE e.repo = $repo
  AND (e.cluster IN $clusters OR $clusters IS NULL)
  AND coalesce(e.missing, false) = false
// the store with the smallest id (portable: no head(collect()) after WITH ... ORDER BY)
OPTIONAL MATCH (e)-[:VIA]->(candidate:SecretStore)
WITH e, min(candidate.id) AS store_id
OPTIONAL MATCH (st:SecretStore)
WHERE st.id = store_id
RETURN e.id AS id, e.cluster AS cluster, e.name AS name, e.namespace AS namespace,
       e.target AS target, e.store AS store, e.store_kind AS store_kind,
       e.refresh_interval AS refresh_interval, e.remote_keys AS remote_keys,
       e.source_file AS source_file, st.provider AS store_provider, st.server AS store_server
ORDER BY name, cluster, namespace
