// export: telemetry
// summary: Where collectors send logs, metrics and traces (SHIPS_TO), read from their
// configuration in the repository (an Alloy file in a ConfigMap key, or a chart's
// values): the writer, its endpoint, tenant and tenant header, the labels it sets, what
// feeds it, and the store (a Service, or the HelmRelease whose chart makes it). Feeds
// SKILL.md's Observability section. Lists are unordered.
// columns: cluster, config_kind, config_name, config_key, config_namespace, config_file, signal, component, url, tenant, tenant_header, labels, sources, store_kind, store, store_namespace, store_service
MATCH (x)-[s:SHIPS_TO]->(t)
WHERE x.repo = $repo
  AND (x.cluster IN $clusters OR $clusters IS NULL)
OPTIONAL MATCH (cm:ConfigMap)-[:HAS_KEY]->(x)
RETURN x.cluster AS cluster,
       CASE WHEN cm IS NULL THEN x.kind ELSE 'ConfigMap' END AS config_kind,
       coalesce(cm.name, x.name) AS config_name,
       CASE WHEN cm IS NULL THEN '' ELSE x.name END AS config_key,
       x.namespace AS config_namespace, x.source_file AS config_file,
       s.signal AS signal, s.component AS component, s.url AS url, s.tenant AS tenant,
       s.tenant_header AS tenant_header, s.labels AS labels, s.sources AS sources,
       t.kind AS store_kind, t.name AS store, t.namespace AS store_namespace,
       coalesce(s.service, t.name + '.' + t.namespace) AS store_service
ORDER BY cluster, signal, component, url
