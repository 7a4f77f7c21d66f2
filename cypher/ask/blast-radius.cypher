// question: blast-radius
// summary: Everything impacted downstream if NAME fails, each row with the kind of impact and the path that explains it.
// targets: Kustomization, HelmRelease, SecretBackend, Service, Workload, ConfigMap, ConfigKey, Secret, SecretProviderClass, SecretStore, ExternalSecret, Source, Namespace, Variable, VaultPath
// empty: nothing in the graph depends on it
// param name: what fails: a Kustomization, HelmRelease, SecretBackend (e.g. vault), Service, ConfigMap, Secret, ... by name; every object of that name counts
// param cluster: only this cluster (optional)
// columns: cluster, impact, kind, name, namespace, reason, evidence
// evidence: the shortest path from the impacted object to NAME
// order: cluster, impact, kind, name, namespace
// per: id, impact
// least: hops, reason
// evidence segments: evidence, evidence_to
// group: impact, namespace
// keep: kind, name
//
// Impact travels against dependency edges and along ownership edges:
// - delivery: a Flux object that waits on NAME through dependsOn (transitively), and
//   every object applied by NAME or by such a waiting Kustomization (MANAGES, nested):
//   reconciliation is blocked, running objects keep running but stop receiving changes;
// - runtime: a workload that mounts a SecretProviderClass, or uses a Secret synced by an
//   ExternalSecret through a SecretStore, whose secret backend is NAME, is served by NAME,
//   or is served by something NAME applies; a workload whose SecretProviderClass or
//   ExternalSecret reads NAME (a Vault path), or that reads a key whose value uses NAME
//   (a variable); an ExternalSecret that reads through NAME (a SecretStore) and the
//   workloads using the Secret it syncs; and anything that uses, mounts, reads, calls,
//   fetches or takes values or variables from NAME directly;
// - telemetry: a collector's configuration (an Alloy file in a ConfigMap, chart values)
//   that ships logs, metrics or traces to NAME (SHIPS_TO): what it sends is no longer stored.
// Depth is bounded (10 dependsOn hops, 5 MANAGES levels); each (object, impact) is
// listed once, with its shortest explaining path: every part below returns candidates,
// kg keeps per (object, impact) the one with the fewest hops (`per`/`least` headers).
// Fixed-length parts write their evidence as text (a core component's blast radius is
// thousands of rows: shipping whole paths, every node with its properties, would cost
// seconds); variable-length parts return the shortest paths, and kg joins an
// `evidence` segment with its `evidence_to` segment end to end.
// With a status snapshot (kg status load) in which NAME is a failing root cause, the
// objects failing live because of it are `blocked now (live)`, with Flux's reason.
// Candidates, one part per way NAME's failure travels (a top-level union, docs/engines.md).
// dependsOn links a Kustomization to Kustomizations and a HelmRelease to HelmReleases:
// the delivery parts name those labels, which halves their time on the embedded engine.
MATCH (t:Kustomization)
WHERE t.id IN $ids
// who waits and how far: WAITS_ON, the dependsOn closure kg load derives (the fewest hops)
MATCH (x:Kustomization)-[w:WAITS_ON]->(t)
WHERE x.id <> t.id AND w.hops <= 10
// only the shortest paths travel on: each row ships its evidence paths; the walk starts
// again from the target matched by $ids, the ids and hops found as filters (docs/engines.md,
// rule 15)
WITH t.id AS target, x.id AS waiting, w.hops AS hops
MATCH (t:Kustomization)
WHERE t.id IN $ids
MATCH p = (x:Kustomization)-[:DEPENDS_ON*1..10]->(t)
WHERE t.id = target AND x.id = waiting AND length(p) = hops
WITH t, x, hops, collect(p) AS evidence
RETURN x.cluster AS cluster, 'delivery' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'waits on ' + t.kind + ' ' + t.name + ' (dependsOn)' AS reason, evidence, NULL AS evidence_to, x.id AS id, hops AS hops
UNION ALL
MATCH (t:HelmRelease)
WHERE t.id IN $ids
// who waits and how far: WAITS_ON, the dependsOn closure kg load derives (the fewest hops)
MATCH (x:HelmRelease)-[w:WAITS_ON]->(t)
WHERE x.id <> t.id AND w.hops <= 10
// only the shortest paths travel on: each row ships its evidence paths; the walk starts
// again from the target matched by $ids, the ids and hops found as filters (docs/engines.md,
// rule 15)
WITH t.id AS target, x.id AS waiting, w.hops AS hops
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (x:HelmRelease)-[:DEPENDS_ON*1..10]->(t)
WHERE t.id = target AND x.id = waiting AND length(p) = hops
WITH t, x, hops, collect(p) AS evidence
RETURN x.cluster AS cluster, 'delivery' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'waits on ' + t.kind + ' ' + t.name + ' (dependsOn)' AS reason, evidence, NULL AS evidence_to, x.id AS id, hops AS hops
UNION ALL
MATCH (t:Kustomization)
WHERE t.id IN $ids
// the common shapes, with text evidence: what NAME applies itself, and what a
// Kustomization that waits on NAME directly applies itself
MATCH (t)-[:MANAGES]->(x)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'delivery' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'applied by Kustomization ' + t.name + ', blocked while ' + t.name + ' fails' AS reason, x.kind + '/' + x.name + ' <-[MANAGES]- ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
MATCH (t:Kustomization)
WHERE t.id IN $ids
MATCH (x)<-[:MANAGES]-(k:Kustomization)-[:DEPENDS_ON]->(t)
WHERE x.id <> t.id AND k.id <> t.id
RETURN x.cluster AS cluster, 'delivery' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'applied by Kustomization ' + k.name + ', blocked while ' + t.name + ' fails' AS reason, x.kind + '/' + x.name + ' <-[MANAGES]- ' + k.kind + '/' + k.name + ' -[DEPENDS_ON]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 2 AS hops
UNION ALL
MATCH (t:Kustomization)
WHERE t.id IN $ids
// the rest: each Kustomization that waits on NAME (or NAME itself) and what it applies,
// found through the closures kg load derives (WAITS_ON: dependsOn, NESTS: MANAGES among
// what applies objects; the fewest hops, 0 for the object itself) instead of walks; the
// shapes above are left out here, so only the longer paths travel
MATCH (x)<-[:MANAGES]-(m)<-[n:NESTS]-(k:Kustomization)-[w:WAITS_ON]->(t)
WHERE x.id <> t.id AND w.hops <= 10 AND n.hops <= 4
WITH t, k, x, min(w.hops) AS waits, min(n.hops) + 1 AS applies
WHERE waits >= 2 OR applies >= 2
// the paths of what is left only (collected paths carry every property of their nodes):
// the dependsOn walk once per waiting Kustomization, starting again from the target
// matched by $ids with the ids and hops found as filters (docs/engines.md, rule 15), then
// the MANAGES walk to each object it applies. Other orders made the embedded engine walk
// from every node: with NAME a cluster's root (2,504 objects nested below it at 20,000
// objects) 27 to 95 s against 0.3 s
WITH t.id AS target, k.id AS waiting, waits, collect({x: x.id, applies: applies}) AS applied
MATCH (t:Kustomization)
WHERE t.id IN $ids
MATCH pk = (k:Kustomization)-[:DEPENDS_ON*0..10]->(t)
WHERE t.id = target AND k.id = waiting AND length(pk) = waits
WITH t, k, waits, applied, collect(pk) AS evidence_to
UNWIND applied AS a
MATCH pm = (k)-[:MANAGES*1..5]->(x)
WHERE x.id = a.x AND length(pm) = a.applies
WITH t, k, x, evidence_to, waits + a.applies AS hops, collect(pm) AS evidence
RETURN x.cluster AS cluster, 'delivery' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'applied by Kustomization ' + k.name + ', blocked while ' + t.name + ' fails' AS reason, evidence, evidence_to, x.id AS id, hops AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:MOUNTS]->(s:SecretProviderClass)-[:BACKED_BY]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'mounts SecretProviderClass ' + s.name + ' backed by ' + t.name AS reason, x.kind + '/' + x.name + ' -[MOUNTS]-> ' + s.kind + '/' + s.name + ' -[BACKED_BY]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 2 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:MOUNTS]->(s:SecretProviderClass)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'mounts SecretProviderClass ' + s.name + ' whose backend ' + b.name + ' is served by ' + t.name AS reason, x.kind + '/' + x.name + ' -[MOUNTS]-> ' + s.kind + '/' + s.name + ' -[BACKED_BY]-> ' + b.kind + '/' + b.name + ' -[SERVED_BY]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 3 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:MOUNTS]->(s:SecretProviderClass)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(h)<-[:MANAGES]-(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'mounts SecretProviderClass ' + s.name + ' whose backend ' + b.name + ' is served by ' + h.name + ', applied by ' + t.name AS reason, x.kind + '/' + x.name + ' -[MOUNTS]-> ' + s.kind + '/' + s.name + ' -[BACKED_BY]-> ' + b.kind + '/' + b.name + ' -[SERVED_BY]-> ' + h.kind + '/' + h.name + ' <-[MANAGES]- ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 4 AS hops
UNION ALL
MATCH (t:SecretStore)
WHERE t.id IN $ids
MATCH (e:ExternalSecret)-[:VIA]->(t)
OPTIONAL MATCH (e)-[:SYNCS]->(s:Secret)
RETURN e.cluster AS cluster, 'runtime' AS impact, e.kind AS kind, e.name AS name, e.namespace AS namespace,
       'reads through ' + t.kind + ' ' + t.name + CASE WHEN s IS NULL THEN '' ELSE ' to sync Secret ' + s.name END AS reason, e.kind + '/' + e.name + ' -[VIA]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, e.id AS id, 1 AS hops
UNION ALL
MATCH (t:SecretStore)
WHERE t.id IN $ids
MATCH (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:VIA]->(t)
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' through ' + t.name AS reason, x.kind + '/' + x.name + ' -[USES]-> ' + s.kind + '/' + s.name + ' <-[SYNCS]- ' + e.kind + '/' + e.name + ' -[VIA]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 3 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:VIA]->(st:SecretStore)-[:BACKED_BY]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' from ' + t.name AS reason, x.kind + '/' + x.name + ' -[USES]-> ' + s.kind + '/' + s.name + ' <-[SYNCS]- ' + e.kind + '/' + e.name + ' -[VIA]-> ' + st.kind + '/' + st.name + ' -[BACKED_BY]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 4 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:VIA]->(st:SecretStore)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' from ' + b.name + ', served by ' + t.name AS reason, x.kind + '/' + x.name + ' -[USES]-> ' + s.kind + '/' + s.name + ' <-[SYNCS]- ' + e.kind + '/' + e.name + ' -[VIA]-> ' + st.kind + '/' + st.name + ' -[BACKED_BY]-> ' + b.kind + '/' + b.name + ' -[SERVED_BY]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 5 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:VIA]->(st:SecretStore)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(h)<-[:MANAGES]-(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' from ' + b.name + ', served by ' + h.name + ', applied by ' + t.name AS reason, x.kind + '/' + x.name + ' -[USES]-> ' + s.kind + '/' + s.name + ' <-[SYNCS]- ' + e.kind + '/' + e.name + ' -[VIA]-> ' + st.kind + '/' + st.name + ' -[BACKED_BY]-> ' + b.kind + '/' + b.name + ' -[SERVED_BY]-> ' + h.kind + '/' + h.name + ' <-[MANAGES]- ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 6 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:MOUNTS]->(s:SecretProviderClass)-[:FETCHES]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'mounts SecretProviderClass ' + s.name + ' that reads ' + t.name AS reason, x.kind + '/' + x.name + ' -[MOUNTS]-> ' + s.kind + '/' + s.name + ' -[FETCHES]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 2 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:FETCHES]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' from ' + t.name AS reason, x.kind + '/' + x.name + ' -[USES]-> ' + s.kind + '/' + s.name + ' <-[SYNCS]- ' + e.kind + '/' + e.name + ' -[FETCHES]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 3 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x:Workload)-[:READS_KEY]->(k:ConfigKey)-[:USES_VAR]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'reads ' + k.configmap + '/' + k.key + ' whose value uses ' + t.name AS reason, x.kind + '/' + x.name + ' -[READS_KEY]-> ' + k.kind + '/' + k.name + ' -[USES_VAR]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 2 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[:USES]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses ' + t.kind + ' ' + t.name + ' directly' AS reason, x.kind + '/' + x.name + ' -[USES]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[:MOUNTS]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses ' + t.kind + ' ' + t.name + ' directly' AS reason, x.kind + '/' + x.name + ' -[MOUNTS]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[:READS_KEY]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses ' + t.kind + ' ' + t.name + ' directly' AS reason, x.kind + '/' + x.name + ' -[READS_KEY]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[c:CALLS]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'calls ' + t.kind + ' ' + t.name + CASE WHEN c.via IS NULL THEN '' ELSE ' (' + c.via + ')' END
         + CASE WHEN c.inferred THEN ', whose chart makes Service ' + c.service ELSE '' END AS reason,
       x.kind + '/' + x.name + ' -[CALLS]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
// telemetry: what a collector ships to NAME (logs, metrics, traces) is no longer stored
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[s:SHIPS_TO]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'telemetry' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       s.signal + ' written by ' + s.component
         + CASE WHEN x.configmap IS NULL THEN '' ELSE ' (ConfigMap ' + x.configmap + ')' END
         + ' are no longer stored' + CASE WHEN s.tenant IS NULL THEN '' ELSE ' for tenant ' + s.tenant END
         + CASE WHEN s.service IS NULL THEN '' ELSE ' (sent to Service ' + s.service + ')' END AS reason,
       x.kind + '/' + x.name + ' -[SHIPS_TO]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[:VALUES_FROM]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses ' + t.kind + ' ' + t.name + ' directly' AS reason, x.kind + '/' + x.name + ' -[VALUES_FROM]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[:SUBSTITUTES_FROM]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses ' + t.kind + ' ' + t.name + ' directly' AS reason, x.kind + '/' + x.name + ' -[SUBSTITUTES_FROM]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[:USES_VAR]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses ' + t.kind + ' ' + t.name + ' directly' AS reason, x.kind + '/' + x.name + ' -[USES_VAR]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (x)-[:FETCHES]->(t)
WHERE x.id <> t.id
RETURN x.cluster AS cluster, 'runtime' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       'uses ' + t.kind + ' ' + t.name + ' directly' AS reason, x.kind + '/' + x.name + ' -[FETCHES]-> ' + t.kind + '/' + t.name AS evidence, NULL AS evidence_to, x.id AS id, 1 AS hops
UNION ALL
// skip without: LiveStatus
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
MATCH (ts:LiveStatus)-[:STATUS_OF]->(t)
WHERE ts.status_root_cause
MATCH (s:LiveStatus)-[:STATUS_OF]->(x)
WHERE s.status_repo = ts.status_repo AND s.cluster = ts.cluster AND s.status_failing AND s.status_cause = ts.status_cause
  AND x.id <> t.id
RETURN x.cluster AS cluster, 'blocked now (live)' AS impact, x.kind AS kind, x.name AS name, x.namespace AS namespace,
       coalesce(s.status_reason, 'NotReady') + ': ' + coalesce(s.status_message, '')
         + ' [snapshot ' + coalesce(s.status_snapshot_at, '?') + ']' AS reason,
       x.kind + '/' + x.name + ' <-[STATUS_OF]- LiveStatus/' + s.name + ' (explained by ' + coalesce(s.status_explained_by, '?')
         + ', cause ' + coalesce(s.status_cause, '?') + ')' AS evidence,
       NULL AS evidence_to, x.id AS id, 0 AS hops
