// question: config
// summary: Configuration lineage: the ConfigMap keys a workload reads with raw and resolved values and the variables behind them; or, for a key, ConfigMap or variable, where it is defined and who uses it.
// targets: Workload, HelmRelease, ConfigMap, ConfigKey, Variable
// empty: no ConfigMap key is read (values inline in the manifest are not modelled as keys)
// param name: a workload (or service name), HelmRelease, ConfigMap, ConfigMap key or substitution variable
// param cluster: only this cluster (optional)
// columns: cluster, subject, relation, configmap, key, raw, value, variables, used_by, evidence
// evidence: the path from the subject to the key or definition
// raw: the value as written in git; value: after Flux post-build substitution (a
// Secret-sourced variable stays ${var}); variables: name (origin of its value).
MATCH (t)
WHERE t.id IN $ids
CALL {
  WITH t
  MATCH p = (t:Workload)-[r:READS_KEY]->(k:ConfigKey)
  OPTIONAL MATCH (k)-[uv:USES_VAR]->(v:Variable)
  OPTIONAL MATCH (other:Workload)-[:READS_KEY]->(k)
  WITH t, r, k, p, collect(DISTINCT v.name + ' (' + coalesce(uv.origin, 'undefined') + ')') AS variables, collect(DISTINCT other.name) AS used_by
  RETURN 'reads (' + r.via + coalesce(' as ' + r.env, '') + ')' AS relation, k.configmap AS configmap, k.key AS key,
         k.value_raw AS raw, k.value AS value, variables, used_by, p
  UNION
  WITH t
  MATCH p = (t:HelmRelease)-[r:VALUES_FROM]->(cm:ConfigMap)
  OPTIONAL MATCH (cm)-[:HAS_KEY]->(k:ConfigKey)
  WHERE r.values_key IS NULL OR k.key = r.values_key
  RETURN 'values from' AS relation, cm.name AS configmap, coalesce(r.values_key, k.key) AS key,
         k.value_raw AS raw, k.value AS value, [] AS variables, [t.name] AS used_by, p
  UNION
  WITH t
  MATCH p = (t:ConfigMap)-[:HAS_KEY]->(k:ConfigKey)
  OPTIONAL MATCH (k)-[uv:USES_VAR]->(v:Variable)
  OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(k)
  WITH t, k, p, collect(DISTINCT v.name + ' (' + coalesce(uv.origin, 'undefined') + ')') AS variables, collect(DISTINCT w.name) AS used_by
  RETURN 'has key' AS relation, t.name AS configmap, k.key AS key, k.value_raw AS raw, k.value AS value, variables, used_by, p
  UNION
  WITH t
  MATCH (t:ConfigKey)
  OPTIONAL MATCH p = (cm:ConfigMap)-[:HAS_KEY]->(t)
  OPTIONAL MATCH (t)-[uv:USES_VAR]->(v:Variable)
  OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(t)
  WITH t, p, collect(DISTINCT v.name + ' (' + coalesce(uv.origin, 'undefined') + ')') AS variables, collect(DISTINCT w.name) AS used_by
  RETURN 'key of' AS relation, t.configmap AS configmap, t.key AS key, t.value_raw AS raw, t.value AS value, variables, used_by, p
  UNION
  WITH t
  MATCH (t:Variable)
  OPTIONAL MATCH p = (t)-[:DEFINED_BY]->(d)
  OPTIONAL MATCH (k:Kustomization)-[:USES_VAR]->(t)
  WITH t, p, d, collect(DISTINCT k.name) AS used_by
  RETURN 'defined by ' + coalesce(d.kind + ' ' + coalesce(d.configmap + '/', '') + d.name, 'nothing in the repo') AS relation,
         d.configmap AS configmap, CASE WHEN d:ConfigKey THEN d.key ELSE NULL END AS key, NULL AS raw,
         CASE WHEN t.redacted THEN '<redacted: from a Secret>' ELSE t.value END AS value,
         coalesce(t.defined_in, []) AS variables, used_by, p
  UNION
  WITH t
  MATCH p = (k:ConfigKey)-[uv:USES_VAR]->(t:Variable)
  OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(k)
  WITH k, uv, p, collect(DISTINCT w.name) AS used_by
  RETURN 'used in key' AS relation, k.configmap AS configmap, k.key AS key, k.value_raw AS raw, k.value AS value,
         [coalesce(uv.origin, 'undefined')] AS variables, used_by, p
}
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject, relation, configmap, key, raw, value, variables, used_by, p AS evidence
ORDER BY cluster, subject, relation, configmap, key
