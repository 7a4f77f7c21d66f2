// export: helmreleases
// summary: One row per HelmRelease: chart, version, the real chart source (sourceRef or
// chartRef) and its URL, release name, the Kustomization that applies it, valuesFrom.
// columns: id, cluster, name, namespace, chart, chart_version, chart_source, chart_source_kind, source_url, source_namespace, release_name, target_namespace, deploys_to, interval, suspend, depends_on, source_file, kustomization, values_from
MATCH (h:HelmRelease)
WHERE h.repo = $repo
  AND ($clusters IS NULL OR h.cluster IN $clusters)
  AND coalesce(h.missing, false) = false
OPTIONAL MATCH (h)-[:FROM_SOURCE]->(source:Source)
WITH h, source ORDER BY source.id
WITH h, head(collect(source)) AS src
OPTIONAL MATCH (applier:Kustomization)-[:MANAGES]->(h)
WITH h, src, applier ORDER BY applier.name
WITH h, src, head(collect(applier)) AS k
OPTIONAL MATCH (h)-[:VALUES_FROM]->(v)
WITH h, src, k, collect(DISTINCT v.kind + '/' + v.name) AS values_from
RETURN h.id AS id, h.cluster AS cluster, h.name AS name, h.namespace AS namespace,
       h.chart AS chart, h.chart_version AS chart_version, h.chart_source AS chart_source,
       h.chart_source_kind AS chart_source_kind, src.url AS source_url, src.namespace AS source_namespace,
       h.release_name AS release_name, h.target_namespace AS target_namespace,
       h.deploys_to AS deploys_to, h.interval AS interval, h.suspend AS suspend,
       h.depends_on AS depends_on, h.source_file AS source_file, k.name AS kustomization,
       values_from
ORDER BY name, cluster, namespace
