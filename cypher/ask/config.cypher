// question: config
// summary: What value does X have: a workload's settings (inline env, env from ConfigMap keys, fields and args with variables, a CronJob's schedule, mounted SecretProviderClass parameters) or a HelmRelease's effective values, each with raw and resolved value and where it came from; for a variable, every setting and key using it in every cluster; for a key or ConfigMap, where it is defined and who uses it.
// targets: Workload, HelmRelease, ConfigMap, ConfigKey, Variable
// empty: no setting, key or value matches (a HelmRelease with no values, or --key matched nothing)
// param name: a workload (or service name), HelmRelease, ConfigMap, ConfigMap key or substitution variable
// param cluster: only this cluster (optional)
// param key: only settings, values and keys whose name or dotted path matches this glob, e.g. '*replicas' (optional)
// columns: cluster, subject, relation, object, configmap, key, raw, value, origin, variables, used_by, evidence
// evidence: the path from the subject to the setting, key or definition
// order: subject, object, key, cluster, relation
// group: object
// below: relation, raw, origin, variables, used_by
// sets: variables, used_by
// raw: the value as written in git (before post-build substitution); value: as applied (a
// Secret-sourced variable stays ${var}, a value from a Secret is <redacted>); origin: the file,
// overlay patch, valuesFrom key or variables it came from; variables: name (origin of its value).
// key: a setting's dotted path (spec.template.spec.containers[api].env.DB_HOST, values.replicaCount).
// Rows of one setting in several clusters sort together: a variable's settings side by side.
// $key is the glob as a case-insensitive regular expression (kg/questions/answer.py), '.*' without --key.
// One part per kind of subject (see docs/engines.md: a top-level union).
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[r:READS_KEY]->(k:ConfigKey)
WHERE k.key =~ $key OR r.env =~ $key
OPTIONAL MATCH (k)-[uv:USES_VAR]->(v:Variable)
OPTIONAL MATCH (other:Workload)-[:READS_KEY]->(k)
WITH t, r, k, p, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables, collect(DISTINCT other.name) AS used_by
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'reads (' + r.via + CASE WHEN r.env IS NULL THEN '' ELSE ' as ' + r.env END + ')' AS relation,
       'ConfigMap/' + k.namespace + '/' + k.configmap AS object,
       k.configmap AS configmap, k.key AS key, k.value_raw AS raw, k.value AS value, k.source_file AS origin,
       variables, used_by, p AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[:HAS_SETTING]->(s:Setting)
WHERE s.name =~ $key OR s.path =~ $key
OPTIONAL MATCH (s)-[uv:USES_VAR]->(v:Variable)
WITH t, s, p, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject, 'setting (' + s.via + ')' AS relation,
       s.object AS object, NULL AS configmap, s.path AS key, s.raw AS raw, s.value AS value, s.origin AS origin,
       variables, [t.name] AS used_by, p AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[:MOUNTS]->(spc:SecretProviderClass)-[:HAS_SETTING]->(s:Setting)
WHERE s.name =~ $key OR s.path =~ $key
OPTIONAL MATCH (s)-[uv:USES_VAR]->(v:Variable)
OPTIONAL MATCH (other:Workload)-[:MOUNTS]->(spc)
WITH t, s, p, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables, collect(DISTINCT other.name) AS used_by
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject, 'mounts (' + s.via + ')' AS relation,
       s.object AS object, NULL AS configmap, s.path AS key, s.raw AS raw, s.value AS value, s.origin AS origin,
       variables, used_by, p AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)-[:HAS_SETTING]->(s:Setting)
WHERE s.name =~ $key OR s.path =~ $key
OPTIONAL MATCH (s)-[uv:USES_VAR]->(v:Variable)
WITH t, s, p, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject, 'setting (' + s.via + ')' AS relation,
       s.object AS object, NULL AS configmap, s.path AS key, s.raw AS raw, s.value AS value, s.origin AS origin,
       variables, [t.name] AS used_by, p AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)-[r:VALUES_FROM]->(cm:ConfigMap)
// no null from outside in an OPTIONAL MATCH's WHERE (docs/engines.md): '' means every key
WITH t, r, cm, p, coalesce(r.values_key, '') AS values_key
OPTIONAL MATCH (cm)-[:HAS_KEY]->(k:ConfigKey)
WHERE k.key = values_key OR values_key = ''
WITH t, r, cm, p, k, coalesce(r.values_key, k.key) AS key_name
WHERE key_name =~ $key OR $key = '.*'
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'values from' AS relation, 'ConfigMap/' + cm.namespace + '/' + cm.name AS object, cm.name AS configmap,
       key_name AS key, k.value_raw AS raw, k.value AS value, cm.source_file AS origin,
       [] AS variables, [t.name] AS used_by, p AS evidence
UNION
MATCH (t:ConfigMap)
WHERE t.id IN $ids
MATCH p = (t)-[:HAS_KEY]->(k:ConfigKey)
WHERE k.key =~ $key
OPTIONAL MATCH (k)-[uv:USES_VAR]->(v:Variable)
OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(k)
WITH t, k, p, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables, collect(DISTINCT w.name) AS used_by
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'has key' AS relation, 'ConfigMap/' + t.namespace + '/' + t.name AS object, t.name AS configmap,
       k.key AS key, k.value_raw AS raw, k.value AS value, k.source_file AS origin, variables, used_by, p AS evidence
UNION
MATCH (t:ConfigKey)
WHERE t.id IN $ids
OPTIONAL MATCH (t)-[uv:USES_VAR]->(v:Variable)
OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(t)
WITH t, collect(DISTINCT CASE WHEN v IS NULL THEN NULL ELSE v.name + ' (' + coalesce(uv.origin, 'undefined') + ')' END) AS variables, collect(DISTINCT w.name) AS used_by
// optional paths after the aggregation: grouping by one that matched nothing crashes Ladybug
OPTIONAL MATCH p = (cm:ConfigMap)-[:HAS_KEY]->(t)
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'key of' AS relation, 'ConfigMap/' + t.namespace + '/' + t.configmap AS object, t.configmap AS configmap,
       t.key AS key, t.value_raw AS raw, t.value AS value, t.source_file AS origin, variables, used_by, p AS evidence
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
       CASE WHEN d IS NULL THEN NULL WHEN d.configmap IS NULL THEN d.kind + '/' + d.namespace + '/' + d.name
            ELSE 'ConfigMap/' + d.namespace + '/' + d.configmap END AS object,
       d.configmap AS configmap, d.key AS key, NULL AS raw,
       CASE WHEN t.redacted THEN '<redacted: from a Secret>' ELSE t.value END AS value,
       d.source_file AS origin, coalesce(t.defined_in, []) AS variables, used_by, p AS evidence
UNION
MATCH (t:Variable)
WHERE t.id IN $ids
MATCH p = (k:ConfigKey)-[uv:USES_VAR]->(t)
WHERE k.key =~ $key
OPTIONAL MATCH (w:Workload)-[:READS_KEY]->(k)
WITH t, k, uv, p, collect(DISTINCT w.name) AS used_by
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'used in key' AS relation, 'ConfigMap/' + k.namespace + '/' + k.configmap AS object, k.configmap AS configmap,
       k.key AS key, k.value_raw AS raw, k.value AS value, k.source_file AS origin,
       [coalesce(uv.origin, 'undefined')] AS variables, used_by, p AS evidence
UNION
MATCH (t:Variable)
WHERE t.id IN $ids
MATCH p = (o)-[:HAS_SETTING]->(s:Setting)-[uv:USES_VAR]->(t)
WHERE s.name =~ $key OR s.path =~ $key
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS subject,
       'used in setting (' + s.via + ')' AS relation, s.object AS object, NULL AS configmap,
       s.path AS key, s.raw AS raw, s.value AS value, s.origin AS origin,
       [coalesce(uv.origin, 'undefined')] AS variables, [o.kind + '/' + o.name] AS used_by, p AS evidence
