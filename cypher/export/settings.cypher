// export: settings
// summary: Every setting that uses a post-build variable (issue 17): the object and field,
// raw text and value as applied (a Secret-sourced variable stays ${var}), with the node it
// hangs below (a workload, a SecretProviderClass, a HelmRelease, ...); feeds the settings of
// each variable in data/configmaps.json and of each service in data/services.json.
// columns: cluster, variable, holder_id, object, path, raw, value, redacted, origin
MATCH (o)-[:HAS_SETTING]->(s:Setting)-[uv:USES_VAR]->(v:Variable)
WHERE s.repo = $repo
  AND (s.cluster IN $clusters OR $clusters IS NULL)
RETURN s.cluster AS cluster, v.name AS variable, o.id AS holder_id, s.object AS object, s.path AS path,
       s.raw AS raw, s.value AS value, coalesce(s.redacted, false) AS redacted, uv.origin AS origin
ORDER BY variable, cluster, object, path
