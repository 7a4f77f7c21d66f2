// export: sources
// summary: One row per Flux source (GitRepository, OCIRepository, HelmRepository, Bucket).
// columns: id, cluster, kind, name, namespace, url, ref, interval, source_file
MATCH (s:Source)
WHERE s.repo = $repo
  AND (s.cluster IN $clusters OR $clusters IS NULL)
  AND coalesce(s.missing, false) = false
RETURN s.id AS id, s.cluster AS cluster, s.kind AS kind, s.name AS name, s.namespace AS namespace,
       s.url AS url, s.ref AS ref, s.interval AS interval, s.source_file AS source_file
ORDER BY name, kind, cluster, namespace
