// question: why
// summary: Why NAME is not syncing or not healthy: its live status, and the failing object(s) on what it depends on that explain it (root causes), with Flux's reason and message and the next command.
// targets: Workload, HelmRelease, Kustomization, Source
// empty: no status snapshot covers it: load one with `kg status load FILE --cluster NAME` (or `--live`)
// param name: a workload, service (app label), HelmRelease, Kustomization or source
// param cluster: only this cluster (optional)
// columns: cluster, target, verdict, kind, name, namespace, ready, reason, message, since, revision, next, evidence
// evidence: for a root cause, the chain from NAME to it (MANAGES up, DEPENDS_ON, FROM_SOURCE, MANAGES down), the shortest
// order: cluster, target, rank, kind, name, namespace
// per: target_id, cause_id
// least: rank, hops
// The first row per target is its own state: healthy (with the revision it runs), failing
// (Flux's reason and message; `evidence` names what explains it), root cause (it fails by
// itself), not in the cluster, or no status snapshot (then `next` says how to load one).
// The rows after it are the root causes on what NAME depends on to be applied and healthy:
// its managing Kustomizations and HelmReleases up to the root, their dependsOn
// (transitively), the sources they read, and the objects a failing dependency applies. A
// root cause is a failing object (not ready, stalled, suspended, absent) that no other
// failing object explains: a DependencyNotReady Kustomization is a symptom of its
// dependency, a HealthCheckFailed one of the child it names (kg status load decides this,
// loaders/status.py, and stores it as `status_root_cause`). A source that cannot fetch is
// a root cause even while what reads it stays Ready on its last revision.
// rank (0 the target, 1 a cause) and hops only sort; target_id and cause_id group.
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
OPTIONAL MATCH (s:LiveStatus)-[:STATUS_OF]->(t)
OPTIONAL MATCH (snap:StatusSnapshot)
WHERE snap.cluster = t.cluster AND snap.status_repo = t.repo
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS target, t.id AS target_id, t.id AS cause_id, 0 AS rank, 0 AS hops,
       CASE
         WHEN snap.id IS NULL THEN 'no status snapshot'
         WHEN s.id IS NULL THEN 'no live status (its kind is not in the snapshot)'
         WHEN s.status_drift = 'repo only' THEN 'not in the cluster'
         WHEN s.status_failing AND s.status_root_cause THEN 'root cause'
         WHEN s.status_failing THEN 'failing'
         WHEN s.status_drift = 'live only' THEN 'live, not in the repository'
         ELSE 'healthy'
       END AS verdict,
       t.kind AS kind, t.name AS name, t.namespace AS namespace,
       s.status_ready AS ready, s.status_reason AS reason, s.status_message AS message, s.status_since AS since,
       s.status_applied_revision AS revision,
       CASE
         WHEN snap.id IS NULL THEN 'kg status load --live --cluster ' + t.cluster
           + '  (or: kubectl get kustomizations,helmreleases,gitrepositories,ocirepositories,helmrepositories,'
           + 'deployments,statefulsets,daemonsets -A -o json > status.json; kg status load status.json --cluster '
           + t.cluster + ')'
         ELSE s.status_next
       END AS next,
       CASE WHEN s.status_explained_by IS NULL THEN NULL
            ELSE 'explained by ' + s.status_explained_by + '; cause: ' + s.status_cause END AS evidence
UNION ALL
// What the target rests on, to the cluster's failing root causes (without a status snapshot
// there is none, and nothing is walked), with text evidence naming each step's object
// (`*` marks a chain of that relationship): its managers up to the root (a walk from the
// target), then what each waits on through WAITS_ON, the dependsOn closure kg load derives
// (hops 0: itself). Walking dependsOn instead, from the managers or back from the root
// causes, walked it from every Kustomization on the embedded engine (docs/engines.md,
// rule 15): 0.4-1.5 s at 20,000 objects.
// skip without: LiveStatus
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH pm = (t)<-[:MANAGES*0..20]-(m)
WITH t, m, min(length(pm)) AS up
MATCH (m)-[w:WAITS_ON]->(d)
WHERE w.hops <= 20
MATCH (d)-[:FROM_SOURCE*0..1]->(u)
MATCH (s:LiveStatus)-[:STATUS_OF]->(u)
WHERE s.status_root_cause AND s.cluster = t.cluster AND u.id <> t.id
WITH t, m, d, u, s, min(up + w.hops) AS hops
WITH t, m, d, u, s, CASE WHEN u.id = d.id THEN hops ELSE hops + 1 END AS hops
WITH t, m, d, u, s, hops,
     t.kind + '/' + t.name
       + CASE WHEN m.id = t.id THEN '' ELSE ' <-[MANAGES*]- ' + m.kind + '/' + m.name END
       + CASE WHEN d.id = m.id THEN '' ELSE ' -[DEPENDS_ON*]-> ' + d.kind + '/' + d.name END
       + CASE WHEN u.id = d.id THEN '' ELSE ' -[FROM_SOURCE]-> ' + u.kind + '/' + u.name END AS evidence
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS target, t.id AS target_id, u.id AS cause_id, 1 AS rank, hops,
       'root cause' AS verdict, u.kind AS kind, u.name AS name, u.namespace AS namespace,
       s.status_ready AS ready, s.status_reason AS reason, s.status_message AS message, s.status_since AS since,
       s.status_applied_revision AS revision, s.status_next AS next, evidence
UNION ALL
// the same, where a failing dependency applies the root cause (or its source)
// skip without: LiveStatus
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH pm = (t)<-[:MANAGES*0..20]-(m)
WITH t, m, min(length(pm)) AS up
MATCH (m)-[w:WAITS_ON]->(d)
WHERE w.hops <= 20
MATCH (ds:LiveStatus)-[:STATUS_OF]->(d)
WHERE ds.status_failing
MATCH (d)-[:MANAGES]->(c)
MATCH (c)-[:FROM_SOURCE*0..1]->(u)
MATCH (s:LiveStatus)-[:STATUS_OF]->(u)
WHERE s.status_root_cause AND s.cluster = t.cluster AND u.id <> t.id
WITH t, m, d, c, u, s, min(up + w.hops) AS hops
WITH t, m, d, c, u, s, CASE WHEN u.id = c.id THEN hops + 1 ELSE hops + 2 END AS hops
WITH t, m, d, c, u, s, hops,
     t.kind + '/' + t.name
       + CASE WHEN m.id = t.id THEN '' ELSE ' <-[MANAGES*]- ' + m.kind + '/' + m.name END
       + CASE WHEN d.id = m.id THEN '' ELSE ' -[DEPENDS_ON*]-> ' + d.kind + '/' + d.name END
       + ' -[MANAGES]-> ' + c.kind + '/' + c.name
       + CASE WHEN u.id = c.id THEN '' ELSE ' -[FROM_SOURCE]-> ' + u.kind + '/' + u.name END AS evidence
RETURN t.cluster AS cluster, t.kind + '/' + t.name AS target, t.id AS target_id, u.id AS cause_id, 1 AS rank, hops,
       'root cause' AS verdict, u.kind AS kind, u.name AS name, u.namespace AS namespace,
       s.status_ready AS ready, s.status_reason AS reason, s.status_message AS message, s.status_since AS since,
       s.status_applied_revision AS revision, s.status_next AS next, evidence
