// question: config
// summary: Configuration lineage: the ConfigMap keys a workload reads with raw and resolved values and the variables behind them; or, for a key, ConfigMap or variable, where it is defined and who uses it.
// targets: Workload, HelmRelease, ConfigMap, ConfigKey, Variable
// empty: no ConfigMap key is read (values inline in the manifest are not modelled as keys)
// param name: a workload (or service name), HelmRelease, ConfigMap, ConfigMap key or substitution variable
// param cluster: only this cluster (optional)
// columns: cluster, subject, relation, configmap, key, raw, value, variables, used_by, evidence
// evidence: the path from the subject to the key or definition
// order: cluster, subject, relation, configmap, key
// group: configmap
// below: relation, raw, variables, used_by
// sets: variables, used_by
// raw: the value as written in git; value: after Flux post-build substitution (a
// Secret-sourced variable stays ${var}); variables: name (origin of its value).
// One part per kind of subject (see docs/engines.md: a top-level union).
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[r:READS_KEY]->(k:ConfigKey)
OPTIONAL MATCH (k)-[uv:USES_VAR]->(v:Variable)
OPTIONAL MATCH (other:Workload)-[:READS_KEY]->(k)
WITH t, r, k, p, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables, collect(DISTINCT other.name) AS used_by
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'reads (' + r.via + CASE WHEN r.env IS NULL THEN '' ELSE ' as ' + r.env END + ')' AS relation,
       k.configmap AS configmap, k.key AS key, k.value_raw AS raw, k.value AS value, variables, used_by, p AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)-[r:VALUES_FROM]->(cm:ConfigMap)
// no null from outside in an OPTIONAL MATCH's WHERE (docs/engines.md): '' means every key
WITH t, r, cm, p, coalesce(r.values_key, '') AS values_key
OPTIONAL MATCH (cm)-[:HAS_KEY]->(k:ConfigKey)
WHERE k.key = values_key OR values_key = ''
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'values from' AS relation, cm.name AS configmap, coalesce(r.values_key, k.key) AS key,
       k.value_raw AS raw, k.value AS value, [] AS variables, [t.name] AS used_by, p AS evidence
UNION
MATCH (t:ConfigMap)
WHERE t.id IN $ids
MATCH p = (t)-[:HAS_KEY]->(k:ConfigKey)
OPTIONAL MATCH (k)-[uv:USES_VAR]->(v:Variable)
OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(k)
WITH t, k, p, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables, collect(DISTINCT w.name) AS used_by
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'has key' AS relation, t.name AS configmap, k.key AS key, k.value_raw AS raw, k.value AS value, variables, used_by, p AS evidence
UNION
MATCH (t:ConfigKey)
WHERE t.id IN $ids
OPTIONAL MATCH (t)-[uv:USES_VAR]->(v:Variable)
OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(t)
WITH t, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables, collect(DISTINCT w.name) AS used_by
// optional paths after the aggregation: grouping by one that matched nothing crashes Ladybug
OPTIONAL MATCH p = (cm:ConfigMap)-[:HAS_KEY]->(t)
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'key of' AS relation, t.configmap AS configmap, t.key AS key, t.value_raw AS raw, t.value AS value, variables, used_by, p AS evidence
UNION
MATCH (t:Variable)
WHERE t.id IN $ids
OPTIONAL MATCH (k:Kustomization)-[:USES_VAR]->(t)
WITH t, collect(DISTINCT k.name) AS used_by
OPTIONAL MATCH p = (t)-[:DEFINED_BY]->(d)
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'defined by ' + CASE
         WHEN d IS NULL THEN 'nothing in the repo'
         ELSE d.kind + ' ' + CASE WHEN d.configmap IS NULL THEN '' ELSE d.configmap + '/' END + d.name
       END AS relation,
       d.configmap AS configmap, d.key AS key, NULL AS raw,
       CASE WHEN t.redacted THEN '<redacted: from a Secret>' ELSE t.value END AS value,
       coalesce(t.defined_in, []) AS variables, used_by, p AS evidence
UNION
MATCH (t:Variable)
WHERE t.id IN $ids
MATCH p = (k:ConfigKey)-[uv:USES_VAR]->(t)
OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(k)
WITH t, k, uv, p, collect(DISTINCT w.name) AS used_by
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'used in key' AS relation, k.configmap AS configmap, k.key AS key, k.value_raw AS raw, k.value AS value,
       [coalesce(uv.origin, 'undefined')] AS variables, used_by, p AS evidence
