// export: secret_provider_classes
// summary: One row per SecretProviderClass: provider and Vault settings (raw as in git
// and resolved), the workloads that mount it (service names), where they mount it, and
// the Kubernetes Secrets it syncs. Lists are unordered (the exporter sorts them).
// columns: id, cluster, name, namespace, provider, vault_role, vault_mount_path, vault_mount_path_raw, vault_address, vault_address_raw, vault_namespace, object_names, source_file, users, mount_paths, synced_secrets
MATCH (s:SecretProviderClass)
WHERE s.repo = $repo
  AND (s.cluster IN $clusters OR $clusters IS NULL)
  AND coalesce(s.missing, false) = false
OPTIONAL MATCH (w:Workload)-[m:MOUNTS]->(s)
WITH s, collect(DISTINCT coalesce(w.service, w.name)) AS users, collect(DISTINCT m.mount_path) AS mount_paths
OPTIONAL MATCH (s)-[:SYNCS]->(secret:Secret)
RETURN s.id AS id, s.cluster AS cluster, s.name AS name, s.namespace AS namespace,
       s.provider AS provider, s.vault_role AS vault_role,
       s.vault_mount_path AS vault_mount_path, s.vault_mount_path_raw AS vault_mount_path_raw,
       s.vault_address AS vault_address, s.vault_address_raw AS vault_address_raw,
       s.vault_namespace AS vault_namespace, s.object_names AS object_names,
       s.source_file AS source_file, users, mount_paths,
       collect(DISTINCT secret.name) AS synced_secrets
ORDER BY name, cluster, namespace
