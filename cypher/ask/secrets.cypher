// question: secrets
// summary: Where a workload gets its credentials: CSI SecretProviderClass -> Vault path/key, ExternalSecret -> store -> Vault path, SOPS/generated/other Secrets, and the env or volume that consumes each.
// targets: Workload
// empty: the workload reads no Secret and mounts no SecretProviderClass
// param name: a workload or its service name; kind/name or namespace/name narrow it
// param cluster: only this cluster (optional)
// columns: cluster, workload, via, env, secret, source, vault_path, key, backend, detail, evidence
// evidence: the path from the workload to the secret's origin
// order: cluster, workload, secret, vault_path, key
// below: secret, detail
// via: how the pod consumes it (csi volume <path>, env, envFrom, volume, imagePullSecrets);
// env: the variables it sets; vault_path: the Vault API path (KV v2 data/ included);
// no secret value is ever stored, so none is shown.
// One part per way a workload gets a secret (see docs/engines.md: a top-level union).
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[m:MOUNTS]->(spc:SecretProviderClass)-[f:FETCHES]->(v:VaultPath)
OPTIONAL MATCH (spc)-[:BACKED_BY]->(b:SecretBackend)
RETURN t.cluster AS cluster, t.name AS workload,
       'csi volume ' + coalesce(m.mount_path, m.volume) AS via, [] AS env,
       'SecretProviderClass ' + spc.name + CASE WHEN f.object_name IS NULL THEN '' ELSE ' (object ' + f.object_name + ')' END AS secret,
       spc.provider AS source, coalesce(v.api_path, v.path) AS vault_path, f.key AS key, b.name AS backend,
       'role ' + coalesce(spc.vault_role, '?') + ', auth mount ' + coalesce(spc.vault_mount_path, '?') AS detail, p AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[m:MOUNTS]->(spc:SecretProviderClass)
WHERE NOT EXISTS { MATCH (spc)-[:FETCHES]->() }
RETURN t.cluster AS cluster, t.name AS workload,
       'csi volume ' + coalesce(m.mount_path, m.volume) AS via, [] AS env,
       'SecretProviderClass ' + spc.name AS secret, coalesce(spc.provider, 'unknown provider') AS source,
       NULL AS vault_path, spc.object_names AS key, NULL AS backend,
       CASE WHEN spc.missing THEN 'SecretProviderClass not defined in the repo' ELSE 'objects the provider reads' END AS detail, p AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[u:USES]->(s:Secret)<-[:SYNCS]-(spc:SecretProviderClass)
RETURN t.cluster AS cluster, t.name AS workload,
       u.via AS via, u.env AS env, 'Secret ' + s.name + ' synced by SecretProviderClass ' + spc.name AS secret,
       spc.provider AS source, NULL AS vault_path, u.keys AS key, NULL AS backend,
       'from the objects of ' + spc.name + ' (its csi rows); exists while a pod mounts it' AS detail, p AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[u:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)
OPTIONAL MATCH (e)-[f:FETCHES]->(v:VaultPath)
OPTIONAL MATCH (e)-[:VIA]->(st:SecretStore)
OPTIONAL MATCH (st)-[:BACKED_BY]->(b:SecretBackend)
RETURN t.cluster AS cluster, t.name AS workload,
       u.via AS via, u.env AS env, 'Secret ' + s.name + ' synced by ExternalSecret ' + e.name AS secret,
       CASE WHEN st IS NULL THEN 'no store' ELSE st.kind + ' ' + st.name END AS source,
       coalesce(v.api_path, v.path) AS vault_path, f.key AS key,
       b.name AS backend, coalesce(st.provider, '?') + ' provider' AS detail, p AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[u:USES]->(s:Secret)
WHERE NOT EXISTS { MATCH (s)<-[:SYNCS]-() }
RETURN t.cluster AS cluster, t.name AS workload,
       u.via AS via, u.env AS env, 'Secret ' + s.name AS secret, coalesce(s.origin, 'manifest') AS source,
       NULL AS vault_path, CASE WHEN u.keys IS NULL THEN s.keys ELSE u.keys END AS key, NULL AS backend,
       CASE WHEN s.missing THEN 'not defined in the repo (created elsewhere?)' ELSE 'key names only, never values' END AS detail, p AS evidence
