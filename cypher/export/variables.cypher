// export: variables
// summary: Post-build substitution variables per cluster: value (none when redacted: it
// comes from a Secret), where it is defined, and how many ConfigMap keys and
// Kustomizations use it.
// columns: cluster, name, value, redacted, defined_in, key_users, kustomization_users
MATCH (v:Variable)
WHERE v.repo = $repo
  AND (v.cluster IN $clusters OR $clusters IS NULL)
OPTIONAL MATCH (key:ConfigKey)-[:USES_VAR]->(v)
WITH v, count(DISTINCT key) AS key_users
OPTIONAL MATCH (k:Kustomization)-[:USES_VAR]->(v)
RETURN v.cluster AS cluster, v.name AS name, v.value AS value, coalesce(v.redacted, false) AS redacted,
       v.defined_in AS defined_in, key_users, count(DISTINCT k) AS kustomization_users
ORDER BY name, cluster
