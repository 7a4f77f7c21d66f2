// question: problems
// summary: What is wrong in the loaded repo (and, with a status snapshot, live): dangling references, dependency cycles, unresolved variables, Kustomizations and Helm charts that could not be rendered, sources outside the repository, SecretProviderClasses nothing mounts, suspended Flux objects; live: failing, stalled, suspended, blocked, and drift both ways.
// empty: no problem found
// param cluster: only this cluster (optional)
// columns: cluster, severity, problem, kind, name, namespace, detail, source_file, evidence
// evidence: the path that shows the problem
// order: cluster, severity_order, problem, kind, name, namespace, detail, evidence
// group: problem
// below: detail
// severity: error (Flux would fail or the workload would not start), warning (likely a
// mistake), info (worth knowing while debugging). A dangling reference is to an object
// no rendered Kustomization defines: it may exist in the cluster from elsewhere.
// One part per kind of problem (docs/engines.md: a top-level union), one row per path that
// shows it (UNION ALL: two relationships to one missing object are two rows).
// severity_order (0 error, 1 warning, 2 info) only sorts: it is not among the columns.
// A detail built from a value the graph lacks is null, as Neo4j's `+` makes it: the
// embedded engine reads null as '', hence the CASEs.
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:Kustomization) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:DEPENDS_ON]->(m)
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dangling dependsOn' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.kind IS NULL OR m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE m.kind + ' ' + m.namespace + '/' + m.name + ' is not defined' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:HelmRelease) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:DEPENDS_ON]->(m)
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dangling dependsOn' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.kind IS NULL OR m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE m.kind + ' ' + m.namespace + '/' + m.name + ' is not defined' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:Source) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:FROM_SOURCE]->(m)
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dangling sourceRef' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.kind IS NULL OR m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE m.kind + ' ' + m.namespace + '/' + m.name + ' is not defined' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:SecretProviderClass) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:MOUNTS]->(m)
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dangling secretProviderClass' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE 'SecretProviderClass ' + m.namespace + '/' + m.name + ' is not defined' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:ConfigMap) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:USES]->(m)
RETURN c.name AS cluster, 1 AS severity_order, 'warning' AS severity, 'dangling ConfigMap reference' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE 'ConfigMap ' + m.namespace + '/' + m.name + ' is not defined in the repo' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:Secret) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:USES]->(m)
RETURN c.name AS cluster, 1 AS severity_order, 'warning' AS severity, 'dangling Secret reference' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE 'Secret ' + m.namespace + '/' + m.name + ' is not defined in the repo' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:ConfigMap) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:VALUES_FROM]->(m)
RETURN c.name AS cluster, 1 AS severity_order, 'warning' AS severity, 'dangling valuesFrom' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE 'ConfigMap ' + m.namespace + '/' + m.name + ' is not defined in the repo' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:Secret) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:VALUES_FROM]->(m)
RETURN c.name AS cluster, 1 AS severity_order, 'warning' AS severity, 'dangling valuesFrom' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE 'Secret ' + m.namespace + '/' + m.name + ' is not defined in the repo' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:ConfigMap) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[r:SUBSTITUTES_FROM]->(m)
WHERE NOT coalesce(r.`optional`, false)  // `optional` is a keyword in the embedded engine
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dangling substituteFrom' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE 'ConfigMap ' + m.namespace + '/' + m.name + ' is not rendered in this cluster' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:Secret) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[r:SUBSTITUTES_FROM]->(m)
WHERE NOT coalesce(r.`optional`, false)  // `optional` is a keyword in the embedded engine
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dangling substituteFrom' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.namespace IS NULL OR m.name IS NULL THEN NULL
            ELSE 'Secret ' + m.namespace + '/' + m.name + ' is not rendered in this cluster' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (m:SecretStore) WHERE m.repo = c.repo AND m.cluster = c.name AND m.missing
MATCH p = (x)-[:VIA]->(m)
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dangling secretStoreRef' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN m.kind IS NULL OR m.name IS NULL THEN NULL ELSE m.kind + ' ' + m.name + ' is not defined' END AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
// Only from the members of a cycle (kg load marks them: `dependency_cycle`), so a long
// dependsOn chain is not expanded from each of its Kustomizations.
MATCH (x:Kustomization) WHERE x.repo = c.repo AND x.cluster = c.name AND x.dependency_cycle
// `back`, not (x) twice: the embedded engine returns such a path reversed, its
// relationships pointing the wrong way. `back` is `x`, so it has x's label: unlabelled,
// the embedded engine walked from every table (0.3 s -> 0.05 s at 20,000 objects).
// Neo4j matches trails (no relationship twice), the embedded engine walks (round the
// cycle again): keep the paths whose relationships are all distinct. The evidence is the
// path once per step, all the same.
MATCH p = (x)-[:DEPENDS_ON*1..20]->(back:Kustomization)
WHERE back.id = x.id
UNWIND relationships(p) AS step
WITH c, x, relationships(p) AS steps, collect(p) AS evidence, count(DISTINCT step) AS distinct_steps
WHERE distinct_steps = size(steps)
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dependency cycle' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'dependsOn leads back to itself' AS detail,
       x.source_file AS source_file, evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (x:HelmRelease) WHERE x.repo = c.repo AND x.cluster = c.name AND x.dependency_cycle
MATCH p = (x)-[:DEPENDS_ON*1..20]->(back:HelmRelease)  // as above
WHERE back.id = x.id
UNWIND relationships(p) AS step
WITH c, x, relationships(p) AS steps, collect(p) AS evidence, count(DISTINCT step) AS distinct_steps
WHERE distinct_steps = size(steps)
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'dependency cycle' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'dependsOn leads back to itself' AS detail,
       x.source_file AS source_file, evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (x:Kustomization)
WHERE x.cluster = c.name AND x.repo = c.repo AND x.render_error IS NOT NULL
RETURN c.name AS cluster, 0 AS severity_order, 'error' AS severity, 'not rendered' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       x.render_error AS detail,
       x.source_file AS source_file, NULL AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (x:Kustomization)
WHERE x.cluster = c.name AND x.repo = c.repo AND x.external_source IS NOT NULL
RETURN c.name AS cluster, 2 AS severity_order, 'info' AS severity, 'source outside this repository' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'reads ' + x.external_source + ': kept in the graph, not rendered from this repository' AS detail,
       x.source_file AS source_file, NULL AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (x:HelmRelease)
WHERE x.cluster = c.name AND x.repo = c.repo AND x.render_error IS NOT NULL
RETURN c.name AS cluster, 1 AS severity_order, 'warning' AS severity, 'chart not rendered' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       x.render_error AS detail,
       x.source_file AS source_file, NULL AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (x:Kustomization)
WHERE x.cluster = c.name AND x.repo = c.repo AND x.unresolved_vars IS NOT NULL
UNWIND x.unresolved_vars AS variable
WITH DISTINCT c, x, variable  // a variable named twice is one problem
RETURN c.name AS cluster, 1 AS severity_order, 'warning' AS severity, 'unresolved variable' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       CASE WHEN variable IS NULL THEN NULL ELSE '${' + variable + '} has no value: Flux substitutes an empty string' END AS detail,
       x.source_file AS source_file, NULL AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (x:SecretProviderClass)
WHERE x.cluster = c.name AND x.repo = c.repo AND x.missing IS NULL AND NOT EXISTS { MATCH (x)<-[:MOUNTS]-() }
RETURN c.name AS cluster, 1 AS severity_order, 'warning' AS severity, 'SecretProviderClass nothing mounts' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'no rendered workload mounts it (a Helm chart may): its objects are not fetched' AS detail,
       x.source_file AS source_file, NULL AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (x:Kustomization)
WHERE x.cluster = c.name AND x.repo = c.repo AND x.suspend
RETURN c.name AS cluster, 2 AS severity_order, 'info' AS severity, 'suspended' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'Flux does not reconcile it' AS detail,
       x.source_file AS source_file, NULL AS evidence
UNION ALL
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (x:HelmRelease)
WHERE x.cluster = c.name AND x.repo = c.repo AND x.suspend
RETURN c.name AS cluster, 2 AS severity_order, 'info' AS severity, 'suspended' AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'Flux does not reconcile it' AS detail,
       x.source_file AS source_file, NULL AS evidence
UNION ALL
// Live (kg status load): a failing object is an error when it is a root cause, a
// warning when suspended or absent from the cluster, info when another failure explains
// it (blocked; the detail names the cause). No snapshot: no rows.
// skip without: LiveStatus
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH p = (s:LiveStatus)-[:STATUS_OF]->(x)
WHERE s.status_repo = c.repo AND s.cluster = c.name AND s.status_failing
WITH c, s, x, p,
     CASE WHEN s.status_drift = 'repo only' OR s.status_suspended THEN 1 WHEN s.status_root_cause THEN 0 ELSE 2 END AS rank
RETURN c.name AS cluster, rank AS severity_order,
       CASE rank WHEN 0 THEN 'error' WHEN 1 THEN 'warning' ELSE 'info' END AS severity,
       CASE WHEN s.status_drift = 'repo only' THEN 'in the repo, not in the cluster (live)'
            WHEN s.status_suspended THEN 'suspended (live)'
            WHEN s.status_root_cause AND s.status_stalled THEN 'stalled (live)'
            WHEN s.status_root_cause THEN 'failing (live)'
            ELSE 'blocked (live)' END AS problem,
       x.kind AS kind, x.name AS name, x.namespace AS namespace,
       coalesce(s.status_reason, 'NotReady') + ': ' + coalesce(s.status_message, '')
         + CASE WHEN s.status_root_cause THEN '' ELSE ' (cause: ' + coalesce(s.status_cause, '?') + ')' END
         + ' [snapshot ' + coalesce(s.status_snapshot_at, '?') + ']' AS detail,
       x.source_file AS source_file, p AS evidence
UNION ALL
// skip without: LiveStatus
MATCH (c:Cluster)
WHERE (c.name = $cluster OR $cluster IS NULL) AND (c.repo = $repo OR $repo IS NULL)
MATCH (s:LiveStatus)
WHERE s.status_repo = c.repo AND s.cluster = c.name AND s.status_drift = 'live only'
MATCH p = (c)-[:ROOT]->(:Kustomization)
RETURN c.name AS cluster, 1 AS severity_order, 'warning' AS severity, 'in the cluster, not in the repo (live)' AS problem,
       s.status_kind AS kind, s.name AS name, s.namespace AS namespace,
       'live in snapshot ' + coalesce(s.status_snapshot_at, '?') + ' but in no file of the repository' AS detail,
       c.path AS source_file, p AS evidence
