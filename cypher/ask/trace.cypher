// question: trace
// summary: The chain of Flux objects that applies NAME, from the cluster root down (an offline `flux trace`).
// targets: Workload, HelmRelease, Service, ConfigMap, Secret, SecretProviderClass, ExternalSecret, SecretStore, Kustomization, Source, Namespace
// empty: NAME is not applied by any Flux Kustomization in the graph
// param name: the object to trace (any applied object); kind/name or namespace/name narrow it
// param cluster: only this cluster (optional)
// columns: cluster, object, depth, kustomization, path, source, source_url, revision, status, evidence
// evidence: the path from the cluster root to the object
// Rows: one per Kustomization on the chain, the root first (depth 0); status shows
// suspend and render errors, which stop everything below.
MATCH (t)
WHERE t.id IN $ids
MATCH (k:Kustomization)-[:MANAGES*1..20]->(t)
OPTIONAL MATCH pk = (:Cluster)-[:ROOT]->(:Kustomization)-[:MANAGES*0..20]->(k)
OPTIONAL MATCH (k)-[:FROM_SOURCE]->(s:Source)
OPTIONAL MATCH pt = (:Cluster)-[:ROOT]->(:Kustomization)-[:MANAGES*1..20]->(t)
WITH t, k, s, pk, pt
ORDER BY length(pk), length(pt)
WITH t, k, s, head(collect(length(pk))) AS depth, head(collect(pt)) AS evidence
RETURN t.cluster AS cluster,
       t.kind + '/' + coalesce(t.namespace + '/', '') + t.name AS object,
       depth - 1 AS depth,
       k.namespace + '/' + k.name AS kustomization,
       k.path AS path,
       coalesce(s.kind + '/' + s.name, k.source_kind + '/' + k.source_name) AS source,
       s.url AS source_url,
       s.ref AS revision,
       CASE
         WHEN k.suspend THEN 'suspended'
         WHEN k.render_error IS NOT NULL THEN 'not rendered: ' + k.render_error
         ELSE 'ok'
       END AS status,
       evidence
ORDER BY cluster, object, depth
