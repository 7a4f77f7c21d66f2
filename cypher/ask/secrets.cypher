// question: secrets
// summary: Where a workload gets its credentials: CSI SecretProviderClass -> Vault path/key, ExternalSecret -> store -> Vault path, SOPS/generated/other Secrets, and the env or volume that consumes each.
// targets: Workload
// empty: the workload reads no Secret and mounts no SecretProviderClass
// param name: a workload or its service name; kind/name or namespace/name narrow it
// param cluster: only this cluster (optional)
// columns: cluster, workload, via, env, secret, source, vault_path, key, backend, detail, evidence
// evidence: the path from the workload to the secret's origin
// via: how the pod consumes it (csi volume <path>, env, envFrom, volume, imagePullSecrets);
// env: the variables it sets; vault_path: the Vault API path (KV v2 data/ included);
// no secret value is ever stored, so none is shown.
MATCH (t:Workload)
WHERE t.id IN $ids
CALL {
  WITH t
  MATCH p = (t)-[m:MOUNTS]->(spc:SecretProviderClass)-[f:FETCHES]->(v:VaultPath)
  OPTIONAL MATCH (spc)-[:BACKED_BY]->(b:SecretBackend)
  RETURN 'csi volume ' + coalesce(m.mount_path, m.volume) AS via, [] AS env,
         'SecretProviderClass ' + spc.name + ' (object ' + f.object_name + ')' AS secret,
         spc.provider AS source, coalesce(v.api_path, v.path) AS vault_path, f.key AS key, b.name AS backend,
         'role ' + coalesce(spc.vault_role, '?') + ', auth mount ' + coalesce(spc.vault_mount_path, '?') AS detail, p
  UNION
  WITH t
  MATCH p = (t)-[m:MOUNTS]->(spc:SecretProviderClass)
  WHERE NOT EXISTS { MATCH (spc)-[:FETCHES]->() }
  RETURN 'csi volume ' + coalesce(m.mount_path, m.volume) AS via, [] AS env,
         'SecretProviderClass ' + spc.name AS secret, coalesce(spc.provider, 'unknown provider') AS source,
         NULL AS vault_path, spc.object_names AS key, NULL AS backend,
         CASE WHEN spc.missing THEN 'SecretProviderClass not defined in the repo' ELSE 'objects the provider reads' END AS detail, p
  UNION
  WITH t
  MATCH p = (t)-[u:USES]->(s:Secret)<-[:SYNCS]-(spc:SecretProviderClass)
  RETURN u.via AS via, u.env AS env, 'Secret ' + s.name + ' synced by SecretProviderClass ' + spc.name AS secret,
         spc.provider AS source, NULL AS vault_path, u.keys AS key, NULL AS backend,
         'from the objects of ' + spc.name + ' (its csi rows); exists while a pod mounts it' AS detail, p
  UNION
  WITH t
  MATCH p = (t)-[u:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)
  OPTIONAL MATCH (e)-[f:FETCHES]->(v:VaultPath)
  OPTIONAL MATCH (e)-[:VIA]->(st:SecretStore)
  OPTIONAL MATCH (st)-[:BACKED_BY]->(b:SecretBackend)
  RETURN u.via AS via, u.env AS env, 'Secret ' + s.name + ' synced by ExternalSecret ' + e.name AS secret,
         coalesce(st.kind + ' ' + st.name, 'no store') AS source, coalesce(v.api_path, v.path) AS vault_path, f.key AS key,
         b.name AS backend, coalesce(st.provider, '?') + ' provider' AS detail, p
  UNION
  WITH t
  MATCH p = (t)-[u:USES]->(s:Secret)
  WHERE NOT EXISTS { MATCH (s)<-[:SYNCS]-() }
  RETURN u.via AS via, u.env AS env, 'Secret ' + s.name AS secret, coalesce(s.origin, 'manifest') AS source,
         NULL AS vault_path, CASE WHEN size(coalesce(u.keys, [])) > 0 THEN u.keys ELSE s.keys END AS key, NULL AS backend,
         CASE WHEN s.missing THEN 'not defined in the repo (created elsewhere?)' ELSE 'key names only, never values' END AS detail, p
}
RETURN t.cluster AS cluster, t.name AS workload, via, env, secret, source, vault_path, key, backend, detail, p AS evidence
ORDER BY cluster, workload, secret, vault_path, key
