// export: config_keys
// summary: Every key of every ConfigMap: its value as in git (value_raw) and after Flux
// post-build substitution (value); variables from Secrets stay `${var}` (redacted).
// columns: configmap_id, key, value_raw, value, binary, variables, redacted_vars, unresolved_vars
MATCH (c:ConfigMap)-[:HAS_KEY]->(k:ConfigKey)
WHERE c.repo = $repo
  AND (c.cluster IN $clusters OR $clusters IS NULL)
RETURN c.id AS configmap_id, k.key AS key, k.value_raw AS value_raw, k.value AS value,
       k.binary AS binary, k.variables AS variables, k.redacted_vars AS redacted_vars,
       k.unresolved_vars AS unresolved_vars
ORDER BY configmap_id, key
