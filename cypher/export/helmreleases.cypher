// export: helmreleases
// summary: One row per HelmRelease: chart, version, the real chart source (sourceRef or
// chartRef) and its URL, release name, the Kustomization that applies it, valuesFrom,
// why its chart was not rendered (render_error) and what its values call
// (namespace/name; a HelmRelease callee stands for the Services its chart would make).
// columns: id, cluster, name, namespace, chart, chart_version, chart_source, chart_source_kind, source_url, source_namespace, release_name, target_namespace, deploys_to, interval, suspend, depends_on, source_file, kustomization, values_from, render_error, calls
MATCH (h:HelmRelease)
WHERE h.repo = $repo
  AND (h.cluster IN $clusters OR $clusters IS NULL)
  AND coalesce(h.missing, false) = false
// the source with the smallest id, the first applier by name (portable: min() and a
// second match, not head(collect()) after WITH ... ORDER BY)
OPTIONAL MATCH (h)-[:FROM_SOURCE]->(candidate:Source)
WITH h, min(candidate.id) AS source_id
OPTIONAL MATCH (src:Source)
WHERE src.id = source_id
OPTIONAL MATCH (applier:Kustomization)-[:MANAGES]->(h)
WITH h, src, min(applier.name) AS kustomization
OPTIONAL MATCH (h)-[:VALUES_FROM]->(v)
// CASE: in the embedded engine null + '/' is '/', not null (no match must add nothing)
WITH h, src, kustomization,
     collect(DISTINCT CASE WHEN v IS NULL THEN null ELSE v.kind + '/' + v.name END) AS values_from
OPTIONAL MATCH (h)-[:CALLS]->(callee)
WITH h, src, kustomization, values_from,
     collect(DISTINCT CASE WHEN callee IS NULL THEN null ELSE callee.namespace + '/' + callee.name END) AS calls
RETURN h.id AS id, h.cluster AS cluster, h.name AS name, h.namespace AS namespace,
       h.chart AS chart, h.chart_version AS chart_version, h.chart_source AS chart_source,
       h.chart_source_kind AS chart_source_kind, src.url AS source_url, src.namespace AS source_namespace,
       h.release_name AS release_name, h.target_namespace AS target_namespace,
       h.deploys_to AS deploys_to, h.interval AS interval, h.suspend AS suspend,
       h.depends_on AS depends_on, h.source_file AS source_file, kustomization,
       values_from, h.render_error AS render_error, calls
ORDER BY name, cluster, namespace
