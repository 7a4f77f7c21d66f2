// export: config_keys
// summary: Every key of every ConfigMap: its value as in git (value_raw) and after Flux
// post-build substitution (value); variables from Secrets stay `${var}` (redacted); and
// who reads it, how: `service: env NAME` (a key reference) or `service: envFrom as NAME`.
// columns: configmap_id, key, value_raw, value, binary, variables, redacted_vars, unresolved_vars, readers
MATCH (c:ConfigMap)-[:HAS_KEY]->(k:ConfigKey)
WHERE c.repo = $repo
  AND (c.cluster IN $clusters OR $clusters IS NULL)
OPTIONAL MATCH (w:Workload)-[r:READS_KEY]->(k)
RETURN c.id AS configmap_id, k.key AS key, k.value_raw AS value_raw, k.value AS value,
       k.binary AS binary, k.variables AS variables, k.redacted_vars AS redacted_vars,
       k.unresolved_vars AS unresolved_vars,
       collect(DISTINCT CASE WHEN w IS NULL THEN NULL
                             WHEN r.via = 'envFrom' THEN coalesce(w.service, w.name) + ': envFrom as ' + r.env
                             ELSE coalesce(w.service, w.name) + ': env ' + r.env END) AS readers
ORDER BY configmap_id, key
