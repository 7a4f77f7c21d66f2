// question: debug
// summary: The check order for one service, filled in from the graph: Flux source -> Kustomization -> HelmRelease -> events, then pods, logs (kubectl and LogQL), metrics (PromQL), its secrets chain and its config, as ready-to-run commands.
// targets: Workload, HelmRelease
// single: true
// param name: a workload (or its service name) or a HelmRelease; namespace/name or --cluster narrow it
// param cluster: only this cluster (optional)
// columns: step, area, check, command, evidence
// evidence: why the command is about this service (the graph path to the object it checks, the shortest)
// order: step, command, check
// group: area
// below: command
// With a status snapshot (kg status load), step 0 is what fails live on what the
// service depends on (its root causes, as `kg ask why` finds them), Flux's message first.
// Check Flux first: many "config not applied" problems are a failed reconciliation.
// LogQL/PromQL assume the seed's labels (namespace, app, pod); adapt to your pipeline.
// One part per check (docs/engines.md: a top-level union). A check or command built from
// a value the graph lacks is null, as Neo4j's `+` makes it: each concatenation with an
// operand that may be null sits in a CASE, since the embedded engine reads null as ''.
MATCH (t:HelmRelease)
WHERE t.id IN $ids
// The chart source of t itself (a HelmRelease), then (the next part) the source of what
// applies t. One statement with `MANAGES*0..1` walked from every node on the embedded
// engine (0.4 s at 20,000 objects); the two never share a row (`check` differs).
MATCH p = (t)-[:FROM_SOURCE]->(s:Source)
WITH p, s, true AS chart
RETURN 1 AS step, 'flux' AS area,
       CASE WHEN s.kind IS NULL OR s.name IS NULL THEN NULL
            WHEN chart THEN 'the chart source ' + s.kind + ' ' + s.name + ' is Ready'
            ELSE 'the source ' + s.kind + ' ' + s.name + ' is Ready (fetched the latest revision)' END AS check,
       CASE WHEN s.namespace IS NULL OR (s.name IS NULL AND (chart OR s.kind IN ['GitRepository', 'OCIRepository', 'HelmRepository', 'Bucket'])) THEN NULL
            ELSE 'flux get sources '
                 + CASE s.kind WHEN 'GitRepository' THEN 'git' WHEN 'OCIRepository' THEN 'oci' WHEN 'HelmRepository' THEN 'helm'
                               WHEN 'Bucket' THEN CASE WHEN chart THEN 'all' ELSE 'bucket' END ELSE 'all' END
                 + CASE WHEN chart OR s.kind IN ['GitRepository', 'OCIRepository', 'HelmRepository', 'Bucket'] THEN ' ' + s.name ELSE '' END
                 + ' -n ' + s.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(f)-[:FROM_SOURCE]->(s:Source)
WITH p, s, false AS chart
RETURN 1 AS step, 'flux' AS area,
       CASE WHEN s.kind IS NULL OR s.name IS NULL THEN NULL
            WHEN chart THEN 'the chart source ' + s.kind + ' ' + s.name + ' is Ready'
            ELSE 'the source ' + s.kind + ' ' + s.name + ' is Ready (fetched the latest revision)' END AS check,
       CASE WHEN s.namespace IS NULL OR (s.name IS NULL AND (chart OR s.kind IN ['GitRepository', 'OCIRepository', 'HelmRepository', 'Bucket'])) THEN NULL
            ELSE 'flux get sources '
                 + CASE s.kind WHEN 'GitRepository' THEN 'git' WHEN 'OCIRepository' THEN 'oci' WHEN 'HelmRepository' THEN 'helm'
                               WHEN 'Bucket' THEN CASE WHEN chart THEN 'all' ELSE 'bucket' END ELSE 'all' END
                 + CASE WHEN chart OR s.kind IN ['GitRepository', 'OCIRepository', 'HelmRepository', 'Bucket'] THEN ' ' + s.name ELSE '' END
                 + ' -n ' + s.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(f)-[:FROM_SOURCE]->(s:Source)
WITH p, s, false AS chart
RETURN 1 AS step, 'flux' AS area,
       CASE WHEN s.kind IS NULL OR s.name IS NULL THEN NULL
            WHEN chart THEN 'the chart source ' + s.kind + ' ' + s.name + ' is Ready'
            ELSE 'the source ' + s.kind + ' ' + s.name + ' is Ready (fetched the latest revision)' END AS check,
       CASE WHEN s.namespace IS NULL OR (s.name IS NULL AND (chart OR s.kind IN ['GitRepository', 'OCIRepository', 'HelmRepository', 'Bucket'])) THEN NULL
            ELSE 'flux get sources '
                 + CASE s.kind WHEN 'GitRepository' THEN 'git' WHEN 'OCIRepository' THEN 'oci' WHEN 'HelmRepository' THEN 'helm'
                               WHEN 'Bucket' THEN CASE WHEN chart THEN 'all' ELSE 'bucket' END ELSE 'all' END
                 + CASE WHEN chart OR s.kind IN ['GitRepository', 'OCIRepository', 'HelmRepository', 'Bucket'] THEN ' ' + s.name ELSE '' END
                 + ' -n ' + s.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(k:Kustomization)
RETURN 2 AS step, 'flux' AS area,
       CASE WHEN k.name IS NULL OR k.path IS NULL THEN NULL
            ELSE 'the Kustomization ' + k.name + ' applied the latest revision (path ' + k.path + ')' END AS check,
       CASE WHEN k.name IS NULL OR k.namespace IS NULL THEN NULL
            ELSE 'flux get kustomization ' + k.name + ' -n ' + k.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(k:Kustomization)
RETURN 2 AS step, 'flux' AS area,
       CASE WHEN k.name IS NULL OR k.path IS NULL THEN NULL
            ELSE 'the Kustomization ' + k.name + ' applied the latest revision (path ' + k.path + ')' END AS check,
       CASE WHEN k.name IS NULL OR k.namespace IS NULL THEN NULL
            ELSE 'flux get kustomization ' + k.name + ' -n ' + k.namespace END AS command,
       collect(p) AS evidence
UNION
// its dependencies, one part per label: a path with a labelled end carries the
// properties of fewer labels (docs/engines.md, rule 17)
MATCH (t:Workload)
WHERE t.id IN $ids
// and one per label of the target: the Kustomization that applies it is matched first and
// the walk re-states that hop (docs/engines.md, rule 15): walked in one pattern from a
// labelled target, the embedded engine started from every Kustomization (0.7 s)
MATCH (t)<-[:MANAGES]-(k:Kustomization)
WITH t, k
MATCH p = (t)<-[:MANAGES]-(k)-[:DEPENDS_ON*1..20]->(d:Kustomization)
RETURN 3 AS step, 'flux' AS area,
       CASE WHEN d.kind IS NULL OR d.name IS NULL THEN NULL
            ELSE 'its dependency ' + d.kind + ' ' + d.name + ' is Ready (Flux waits for it)' END AS check,
       CASE WHEN d.name IS NULL OR d.namespace IS NULL THEN NULL
            ELSE 'flux get ' + CASE WHEN d.kind = 'HelmRelease' THEN 'helmrelease ' ELSE 'kustomization ' END + d.name + ' -n ' + d.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH (t)<-[:MANAGES]-(k:Kustomization)
WITH t, k
MATCH p = (t)<-[:MANAGES]-(k)-[:DEPENDS_ON*1..20]->(d:Kustomization)
RETURN 3 AS step, 'flux' AS area,
       CASE WHEN d.kind IS NULL OR d.name IS NULL THEN NULL
            ELSE 'its dependency ' + d.kind + ' ' + d.name + ' is Ready (Flux waits for it)' END AS check,
       CASE WHEN d.name IS NULL OR d.namespace IS NULL THEN NULL
            ELSE 'flux get ' + CASE WHEN d.kind = 'HelmRelease' THEN 'helmrelease ' ELSE 'kustomization ' END + d.name + ' -n ' + d.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH (t)<-[:MANAGES]-(k:Kustomization)
WITH t, k
MATCH p = (t)<-[:MANAGES]-(k)-[:DEPENDS_ON*1..20]->(d:HelmRelease)
RETURN 3 AS step, 'flux' AS area,
       CASE WHEN d.kind IS NULL OR d.name IS NULL THEN NULL
            ELSE 'its dependency ' + d.kind + ' ' + d.name + ' is Ready (Flux waits for it)' END AS check,
       CASE WHEN d.name IS NULL OR d.namespace IS NULL THEN NULL
            ELSE 'flux get ' + CASE WHEN d.kind = 'HelmRelease' THEN 'helmrelease ' ELSE 'kustomization ' END + d.name + ' -n ' + d.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH (t)<-[:MANAGES]-(k:Kustomization)
WITH t, k
MATCH p = (t)<-[:MANAGES]-(k)-[:DEPENDS_ON*1..20]->(d:HelmRelease)
RETURN 3 AS step, 'flux' AS area,
       CASE WHEN d.kind IS NULL OR d.name IS NULL THEN NULL
            ELSE 'its dependency ' + d.kind + ' ' + d.name + ' is Ready (Flux waits for it)' END AS check,
       CASE WHEN d.name IS NULL OR d.namespace IS NULL THEN NULL
            ELSE 'flux get ' + CASE WHEN d.kind = 'HelmRelease' THEN 'helmrelease ' ELSE 'kustomization ' END + d.name + ' -n ' + d.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
RETURN 4 AS step, 'flux' AS area, 'the HelmRelease upgraded (look for "upgrade retries exhausted": a failed hook)' AS check,
       CASE WHEN t.name IS NULL OR t.namespace IS NULL THEN NULL
            ELSE 'flux get helmrelease ' + t.name + ' -n ' + t.namespace END AS command,
       NULL AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(k:Kustomization)
RETURN 5 AS step, 'flux' AS area,
       CASE WHEN k.name IS NULL THEN NULL ELSE 'Flux events about ' + k.name END AS check,
       CASE WHEN k.name IS NULL OR k.namespace IS NULL THEN NULL
            ELSE 'kubectl get events -n ' + k.namespace + ' --field-selector involvedObject.name=' + k.name + ' --sort-by=.lastTimestamp' END AS command,
       collect(p) AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(k:Kustomization)
RETURN 5 AS step, 'flux' AS area,
       CASE WHEN k.name IS NULL THEN NULL ELSE 'Flux events about ' + k.name END AS check,
       CASE WHEN k.name IS NULL OR k.namespace IS NULL THEN NULL
            ELSE 'kubectl get events -n ' + k.namespace + ' --field-selector involvedObject.name=' + k.name + ' --sort-by=.lastTimestamp' END AS command,
       collect(p) AS evidence
UNION
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
// steps 6 to 12 read only the target's own properties: one part, a row per step from a
// list (each part reads the target anew: ~12 ms apiece on the embedded engine at 20,000
// objects, where the target may have any label). The pods' label selector: the
// release's instance label, the workload's selector or its app label
WITH coalesce(t.deploys_to, t.namespace) AS ns,
     CASE WHEN t.kind = 'HelmRelease' THEN CASE WHEN t.release_name IS NULL THEN NULL ELSE 'app.kubernetes.io/instance=' + t.release_name END
          ELSE coalesce(t.label_selector, CASE WHEN coalesce(t.app, t.name) IS NULL THEN NULL ELSE 'app=' + coalesce(t.app, t.name) END) END AS sel,
     coalesce(t.app, t.release_name, t.name) AS app, coalesce(t.name, t.app, t.release_name) AS pod
UNWIND [
  {step: 6, area: 'kubernetes',
   check: CASE WHEN ns IS NULL THEN NULL ELSE 'events in namespace ' + ns END,
   command: CASE WHEN ns IS NULL THEN NULL ELSE 'kubectl get events -n ' + ns + ' --sort-by=.lastTimestamp' END},
  {step: 7, area: 'pods',
   check: CASE WHEN sel IS NULL THEN NULL ELSE 'pods are Running and Ready (selector ' + sel + ')' END,
   command: CASE WHEN ns IS NULL OR sel IS NULL THEN NULL ELSE 'kubectl get pods -n ' + ns + ' -l ' + sel + ' -o wide' END},
  {step: 8, area: 'pods', check: 'pod events: image pulls, mounts, probes',
   command: CASE WHEN ns IS NULL OR sel IS NULL THEN NULL ELSE 'kubectl describe pod -n ' + ns + ' -l ' + sel END},
  {step: 9, area: 'logs', check: 'recent logs (add --previous after a crash)',
   command: CASE WHEN ns IS NULL OR sel IS NULL THEN NULL ELSE 'kubectl logs -n ' + ns + ' -l ' + sel + ' --tail=100' END},
  {step: 10, area: 'logs', check: 'historical errors in Loki (Grafana Explore)',
   command: CASE WHEN ns IS NULL OR app IS NULL THEN NULL ELSE '{namespace="' + ns + '", app="' + app + '"} |= "ERROR"' END},
  {step: 11, area: 'metrics', check: 'CPU (PromQL, Mimir)',
   command: CASE WHEN ns IS NULL OR pod IS NULL THEN NULL
                 ELSE 'sum(rate(container_cpu_usage_seconds_total{namespace="' + ns + '", pod=~"' + pod + '.*"}[5m]))' END},
  {step: 12, area: 'metrics', check: 'memory (PromQL, Mimir)',
   command: CASE WHEN ns IS NULL OR pod IS NULL THEN NULL
                 ELSE 'sum(container_memory_working_set_bytes{namespace="' + ns + '", pod=~"' + pod + '.*"})' END}
] AS r
RETURN r.step AS step, r.area AS area, r.check AS check, r.command AS command, NULL AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
// In steps 13-17 and 19 t is a Workload (only workloads mount or use): it runs in its
// namespace, and the embedded engine refuses t.deploys_to, which Workload lacks
MATCH p = (t)-[:MOUNTS]->(spc:SecretProviderClass)
RETURN 13 AS step, 'secrets' AS area,
       CASE WHEN spc.name IS NULL THEN NULL
            ELSE 'SecretProviderClass ' + spc.name + ' exists (provider ' + coalesce(spc.provider, '?') + ')' END AS check,
       CASE WHEN spc.name IS NULL OR t.namespace IS NULL THEN NULL
            ELSE 'kubectl get secretproviderclass ' + spc.name + ' -n ' + t.namespace + ' -o yaml' END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[:MOUNTS]->(spc:SecretProviderClass)-[f:FETCHES]->(v:VaultPath)
RETURN 14 AS step, 'secrets' AS area,
       CASE WHEN v.path IS NULL THEN NULL
            ELSE 'Vault has ' + v.path + ' with key ' + coalesce(f.key, '?') + ' (role ' + coalesce(spc.vault_role, '?') + '); lists key names, not values' END AS check,
       CASE WHEN v.path IS NULL THEN NULL
            ELSE 'vault kv get -format=json ' + v.path + ' | jq "' + CASE WHEN v.kv_version = 'v1' THEN '.data' ELSE '.data.data' END + ' | keys"' END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)
RETURN 15 AS step, 'secrets' AS area,
       CASE WHEN e.name IS NULL OR s.name IS NULL THEN NULL ELSE 'ExternalSecret ' + e.name + ' synced Secret ' + s.name END AS check,
       CASE WHEN e.name IS NULL OR t.namespace IS NULL THEN NULL ELSE 'kubectl get externalsecret ' + e.name + ' -n ' + t.namespace END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[:USES]->(s:Secret)
RETURN 16 AS step, 'secrets' AS area,
       CASE WHEN s.name IS NULL THEN NULL ELSE 'Secret ' + s.name + ' exists with the keys the pod reads' END AS check,
       CASE WHEN coalesce(s.generated_name, s.name) IS NULL OR t.namespace IS NULL THEN NULL
            ELSE 'kubectl get secret ' + coalesce(s.generated_name, s.name) + ' -n ' + t.namespace + ' -o jsonpath="{.data}" | jq keys' END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)-[:USES]->(cm:ConfigMap)
RETURN 17 AS step, 'config' AS area,
       CASE WHEN cm.name IS NULL THEN NULL ELSE 'ConfigMap ' + cm.name + ' has the expected values' END AS check,
       CASE WHEN coalesce(cm.generated_name, cm.name) IS NULL OR t.namespace IS NULL THEN NULL
            ELSE 'kubectl get configmap ' + coalesce(cm.generated_name, cm.name) + ' -n ' + t.namespace + ' -o yaml' END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(:Kustomization)-[:SUBSTITUTES_FROM]->(src)
RETURN 18 AS step, 'config' AS area,
       CASE WHEN src.kind IS NULL OR src.name IS NULL THEN NULL
            ELSE 'the substitution source ' + src.kind + ' ' + src.name + ' holds the variables' END AS check,
       CASE WHEN src.kind IS NULL OR src.name IS NULL OR src.namespace IS NULL THEN NULL
            ELSE 'kubectl get ' + toLower(src.kind) + ' ' + src.name + ' -n ' + src.namespace
                 + CASE WHEN src.kind = 'Secret' THEN ' -o jsonpath="{.data}" | jq keys' ELSE ' -o yaml' END END AS command,
       collect(p) AS evidence
UNION
MATCH (t:HelmRelease)
WHERE t.id IN $ids
MATCH p = (t)<-[:MANAGES]-(:Kustomization)-[:SUBSTITUTES_FROM]->(src)
RETURN 18 AS step, 'config' AS area,
       CASE WHEN src.kind IS NULL OR src.name IS NULL THEN NULL
            ELSE 'the substitution source ' + src.kind + ' ' + src.name + ' holds the variables' END AS check,
       CASE WHEN src.kind IS NULL OR src.name IS NULL OR src.namespace IS NULL THEN NULL
            ELSE 'kubectl get ' + toLower(src.kind) + ' ' + src.name + ' -n ' + src.namespace
                 + CASE WHEN src.kind = 'Secret' THEN ' -o jsonpath="{.data}" | jq keys' ELSE ' -o yaml' END END AS command,
       collect(p) AS evidence
UNION
MATCH (t:Workload)
WHERE t.id IN $ids AND t.kind IN ['Deployment', 'StatefulSet', 'DaemonSet']
RETURN 19 AS step, 'config' AS area, 'the environment the running pod really has' AS check,
       CASE WHEN t.namespace IS NULL OR t.name IS NULL THEN NULL
            ELSE 'kubectl exec -n ' + t.namespace + ' ' + CASE t.kind WHEN 'Deployment' THEN 'deploy/' WHEN 'StatefulSet' THEN 'sts/' ELSE 'ds/' END + t.name + ' -- env' END AS command,
       NULL AS evidence
UNION
// skip without: LiveStatus
MATCH (t/*:{target}*/)
WHERE t.id IN $ids
// what the target rests on, to the cluster's failing root causes, with text evidence (as
// in why.cypher: its managers up to the root, then what each waits on through WAITS_ON;
// without a status snapshot nothing is walked)
MATCH (t)<-[:MANAGES*0..20]-(m)
WITH DISTINCT t, m
MATCH (m)-[w:WAITS_ON]->(d)
WHERE w.hops <= 20
MATCH (d)-[:FROM_SOURCE*0..1]->(u)
MATCH (s:LiveStatus)-[:STATUS_OF]->(u)
WHERE s.status_root_cause AND s.cluster = t.cluster
WITH DISTINCT t, m, d, u, s
WITH u, s, min(t.kind + '/' + t.name
       + CASE WHEN m.id = t.id THEN '' ELSE ' <-[MANAGES*]- ' + m.kind + '/' + m.name END
       + CASE WHEN d.id = m.id THEN '' ELSE ' -[DEPENDS_ON*]-> ' + d.kind + '/' + d.name END
       + CASE WHEN u.id = d.id THEN '' ELSE ' -[FROM_SOURCE]-> ' + u.kind + '/' + u.name END) AS evidence
RETURN 0 AS step, 'live' AS area,
       'FAILING: ' + u.kind + ' ' + coalesce(u.namespace, '') + '/' + u.name + ': ' + coalesce(s.status_reason, '')
         + ': ' + coalesce(s.status_message, '') AS check,
       s.status_next AS command, evidence
UNION
// skip without: LiveStatus
MATCH (t:Workload)
WHERE t.id IN $ids
// a workload failing by itself: it waits on nothing (no WAITS_ON), so the part above
// does not find it
MATCH (s:LiveStatus)-[:STATUS_OF]->(t)
WHERE s.status_root_cause AND s.cluster = t.cluster
RETURN 0 AS step, 'live' AS area,
       'FAILING: ' + t.kind + ' ' + coalesce(t.namespace, '') + '/' + t.name + ': ' + coalesce(s.status_reason, '')
         + ': ' + coalesce(s.status_message, '') AS check,
       s.status_next AS command, t.kind + '/' + t.name AS evidence
