// question: trace
// summary: The chain of Flux objects that applies NAME, from the cluster root down (an offline `flux trace`).
// targets: Workload, HelmRelease, Service, ConfigMap, Secret, SecretProviderClass, ExternalSecret, SecretStore, Kustomization, Source, Namespace
// empty: NAME is not applied by any Flux Kustomization in the graph
// param name: the object to trace (any applied object); kind/name or namespace/name narrow it
// param cluster: only this cluster (optional)
// columns: cluster, object, depth, kustomization, path, source, source_url, revision, status, evidence
// evidence: the path from the cluster root to the object (the shortest)
// order: cluster, object, depth
// Rows: one per Kustomization on the chain, the root first (depth 0); status shows
// suspend and render errors, which stop everything below, then, with a status snapshot
// (kg status load), what the cluster reports for that Kustomization (`live: ready at REV`,
// `live: REASON: message`, `live: not in the cluster`); `ok` without one.
// kg renders a cluster from its root down, so a Kustomization that applies something
// was itself applied by one above it: the chain from the root always exists (no
// OPTIONAL MATCH, which the embedded engine evaluates over the whole graph when the
// pattern has a variable length). Each Kustomization's depth is `tree_depth`, set at
// load: walking from the root to each of them here made the embedded engine expand the
// whole tree (1.4 s at 20,000 objects; now tens of ms). The source is looked up after
// the aggregation: there Ladybug plans it per row (docs/engines.md).
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH pt = (:Cluster)-[:ROOT]->(:Kustomization)-[:MANAGES*1..20]->(t)
WITH t, collect(pt) AS evidence
MATCH (k:Kustomization)-[:MANAGES*1..20]->(t)
WITH DISTINCT t, k, evidence
OPTIONAL MATCH (k)-[:FROM_SOURCE]->(s:Source)
OPTIONAL MATCH (ks:LiveStatus)-[:STATUS_OF]->(k)
RETURN t.cluster AS cluster,
       t.kind + '/' + CASE WHEN t.namespace IS NULL THEN '' ELSE t.namespace + '/' END + t.name AS object,
       k.tree_depth AS depth,
       k.namespace + '/' + k.name AS kustomization,
       k.path AS path,
       CASE
         WHEN s IS NOT NULL THEN s.kind + '/' + s.name
         WHEN k.source_kind IS NULL OR k.source_name IS NULL THEN NULL
         ELSE k.source_kind + '/' + k.source_name
       END AS source,
       s.url AS source_url,
       s.ref AS revision,
       CASE
         WHEN k.suspend THEN 'suspended'
         WHEN k.render_error IS NOT NULL THEN 'not rendered: ' + k.render_error
         WHEN ks.status_drift = 'repo only' THEN 'live: not in the cluster'
         WHEN ks.status_failing THEN 'live: ' + coalesce(ks.status_reason, 'failing') + ': ' + coalesce(ks.status_message, '')
         WHEN ks.id IS NOT NULL THEN 'live: ready at ' + coalesce(ks.status_applied_revision, '?')
         ELSE 'ok'
       END AS status,
       evidence
