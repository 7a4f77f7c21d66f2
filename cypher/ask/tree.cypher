// question: tree
// summary: What a Kustomization applies, as a tree (an offline `flux tree kustomization`); for a HelmRelease, its chart source, values and what its chart renders.
// targets: Kustomization, HelmRelease
// single: true
// shape: tree
// empty: it applies nothing (not rendered, or an empty path)
// param name: a Flux Kustomization or HelmRelease; namespace/name narrows it
// param cluster: only this cluster (optional)
// columns: cluster, depth, kind, name, namespace, source_file, status, id, parent_id
// order: depth, kind, name
// Rows in depth-first order, names indented by depth; nested Kustomizations are expanded
// (up to 10 levels); status shows suspend and render errors, then, with a status snapshot
// (kg status load), what the cluster reports: `live: ready`, `live: REASON: message`, or
// `live: not in the cluster`.
// Three parts (a union, see docs/engines.md): what a Kustomization applies (through the
// HelmReleases it applies, what their charts render), each (object, parent) once at its
// smallest depth; a HelmRelease's chart source and values; what its chart renders.
MATCH (t:Kustomization)
WHERE t.id IN $ids
MATCH p = (t)-[:MANAGES*0..9]->(parent)-[:MANAGES]->(x)
WITH t, x, parent, min(length(p)) AS depth
OPTIONAL MATCH (s:LiveStatus)-[:STATUS_OF]->(x)
RETURN t.cluster AS cluster,
       depth,
       x.kind AS kind,
       x.name AS name,
       x.namespace AS namespace,
       x.source_file AS source_file,
       CASE
         WHEN x.missing THEN 'missing: referenced, not defined in the repo'
         WHEN x.suspend THEN 'suspended'
         WHEN x.render_error IS NOT NULL THEN 'not rendered: ' + x.render_error
         WHEN s.status_drift = 'repo only' THEN 'live: not in the cluster'
         WHEN s.status_failing THEN 'live: ' + coalesce(s.status_reason, 'failing') + ': ' + coalesce(s.status_message, '')
         WHEN s.id IS NOT NULL THEN 'live: ready'
         ELSE ''
       END AS status,
       x.id AS id,
       parent.id AS parent_id
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH (t)-[:FROM_SOURCE|VALUES_FROM]->(x)
OPTIONAL MATCH (s:LiveStatus)-[:STATUS_OF]->(x)
RETURN t.cluster AS cluster,
       1 AS depth,
       x.kind AS kind,
       x.name AS name,
       x.namespace AS namespace,
       x.source_file AS source_file,
       CASE
         WHEN x.missing THEN 'missing: referenced, not defined in the repo'
         WHEN x.suspend THEN 'suspended'
         WHEN x.render_error IS NOT NULL THEN 'not rendered: ' + x.render_error
         WHEN s.status_drift = 'repo only' THEN 'live: not in the cluster'
         WHEN s.status_failing THEN 'live: ' + coalesce(s.status_reason, 'failing') + ': ' + coalesce(s.status_message, '')
         WHEN s.id IS NOT NULL THEN 'live: ready'
         ELSE ''
       END AS status,
       x.id AS id,
       t.id AS parent_id
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH (t)-[:MANAGES]->(x)
OPTIONAL MATCH (s:LiveStatus)-[:STATUS_OF]->(x)
RETURN t.cluster AS cluster,
       1 AS depth,
       x.kind AS kind,
       x.name AS name,
       x.namespace AS namespace,
       x.source_file AS source_file,
       CASE
         WHEN x.missing THEN 'missing: referenced, not defined in the repo'
         WHEN x.suspend THEN 'suspended'
         WHEN x.render_error IS NOT NULL THEN 'not rendered: ' + x.render_error
         WHEN s.status_drift = 'repo only' THEN 'live: not in the cluster'
         WHEN s.status_failing THEN 'live: ' + coalesce(s.status_reason, 'failing') + ': ' + coalesce(s.status_message, '')
         WHEN s.id IS NOT NULL THEN 'live: ready'
         ELSE ''
       END AS status,
       x.id AS id,
       t.id AS parent_id
