// export: secret_syncs
// summary: Kubernetes Secrets written by a SecretProviderClass (secretObjects) or an
// ExternalSecret (target), with their key names (never values) and the workloads that use
// them (service names, unordered).
// columns: reader_id, secret, keys, object_names, users
MATCH (r)-[y:SYNCS]->(s:Secret)
WHERE r.repo = $repo
  AND (r.cluster IN $clusters OR $clusters IS NULL)
OPTIONAL MATCH (w:Workload)-[:USES]->(s)
RETURN r.id AS reader_id, s.name AS secret, s.keys AS keys, y.object_names AS object_names,
       collect(DISTINCT coalesce(w.service, w.name)) AS users
ORDER BY reader_id, secret
