// question: debug
// summary: The check order for one service, filled in from the graph: Flux source -> Kustomization -> HelmRelease -> events, then pods, logs (kubectl and LogQL), metrics (PromQL), its secrets chain and its config, as ready-to-run commands.
// targets: Workload, HelmRelease
// single: true
// param name: a workload (or its service name) or a HelmRelease; namespace/name or --cluster narrow it
// param cluster: only this cluster (optional)
// columns: step, area, check, command, evidence
// evidence: why the command is about this service (the graph path to the object it checks)
// Check Flux first: many "config not applied" problems are a failed reconciliation.
// LogQL/PromQL assume the seed's labels (namespace, app, pod); adapt to your pipeline.
MATCH (t)
WHERE t.id IN $ids
WITH t,
     coalesce(t.deploys_to, t.namespace) AS ns,
     CASE WHEN t:HelmRelease THEN 'app.kubernetes.io/instance=' + t.release_name
          ELSE coalesce(t.label_selector, 'app=' + coalesce(t.app, t.name)) END AS sel,
     coalesce(t.app, t.release_name, t.name) AS app
CALL {
  WITH t, ns, sel, app
  MATCH p = (t)<-[:MANAGES]-(k:Kustomization)-[:FROM_SOURCE]->(s:Source)
  RETURN 1 AS step, 'flux' AS area, 'the source ' + s.kind + ' ' + s.name + ' is Ready (fetched the latest revision)' AS check,
         'flux get sources ' + CASE s.kind WHEN 'GitRepository' THEN 'git' WHEN 'OCIRepository' THEN 'oci' WHEN 'HelmRepository' THEN 'helm' WHEN 'Bucket' THEN 'bucket' ELSE 'all' END
           + CASE WHEN s.kind IN ['GitRepository', 'OCIRepository', 'HelmRepository', 'Bucket'] THEN ' ' + s.name ELSE '' END + ' -n ' + s.namespace AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)<-[:MANAGES]-(k:Kustomization)
  RETURN 2 AS step, 'flux' AS area, 'the Kustomization ' + k.name + ' applied the latest revision (path ' + k.path + ')' AS check,
         'flux get kustomization ' + k.name + ' -n ' + k.namespace AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)<-[:MANAGES]-(:Kustomization)-[:DEPENDS_ON*1..20]->(d)
  RETURN 3 AS step, 'flux' AS area, 'its dependency ' + d.kind + ' ' + d.name + ' is Ready (Flux waits for it)' AS check,
         'flux get ' + CASE WHEN d:HelmRelease THEN 'helmrelease ' ELSE 'kustomization ' END + d.name + ' -n ' + d.namespace AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t:HelmRelease)-[:FROM_SOURCE]->(s:Source)
  RETURN 1 AS step, 'flux' AS area, 'the chart source ' + s.kind + ' ' + s.name + ' is Ready' AS check,
         'flux get sources ' + CASE s.kind WHEN 'HelmRepository' THEN 'helm' WHEN 'OCIRepository' THEN 'oci' WHEN 'GitRepository' THEN 'git' ELSE 'all' END + ' ' + s.name + ' -n ' + s.namespace AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH (t:HelmRelease)
  RETURN 4 AS step, 'flux' AS area, 'the HelmRelease upgraded (look for "upgrade retries exhausted": a failed hook)' AS check,
         'flux get helmrelease ' + t.name + ' -n ' + t.namespace AS command, NULL AS p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)<-[:MANAGES]-(k:Kustomization)
  RETURN 5 AS step, 'flux' AS area, 'Flux events about ' + k.name AS check,
         'kubectl get events -n ' + k.namespace + ' --field-selector involvedObject.name=' + k.name + ' --sort-by=.lastTimestamp' AS command, p
  UNION
  WITH t, ns, sel, app
  RETURN 6 AS step, 'kubernetes' AS area, 'events in namespace ' + ns AS check,
         'kubectl get events -n ' + ns + ' --sort-by=.lastTimestamp' AS command, NULL AS p
  UNION
  WITH t, ns, sel, app
  RETURN 7 AS step, 'pods' AS area, 'pods are Running and Ready (selector ' + sel + ')' AS check,
         'kubectl get pods -n ' + ns + ' -l ' + sel + ' -o wide' AS command, NULL AS p
  UNION
  WITH t, ns, sel, app
  RETURN 8 AS step, 'pods' AS area, 'pod events: image pulls, mounts, probes' AS check,
         'kubectl describe pod -n ' + ns + ' -l ' + sel AS command, NULL AS p
  UNION
  WITH t, ns, sel, app
  RETURN 9 AS step, 'logs' AS area, 'recent logs (add --previous after a crash)' AS check,
         'kubectl logs -n ' + ns + ' -l ' + sel + ' --tail=100' AS command, NULL AS p
  UNION
  WITH t, ns, sel, app
  RETURN 10 AS step, 'logs' AS area, 'historical errors in Loki (Grafana Explore)' AS check,
         '{namespace="' + ns + '", app="' + app + '"} |= "ERROR"' AS command, NULL AS p
  UNION
  WITH t, ns, sel, app
  RETURN 11 AS step, 'metrics' AS area, 'CPU (PromQL, Mimir)' AS check,
         'sum(rate(container_cpu_usage_seconds_total{namespace="' + ns + '", pod=~"' + coalesce(t.name, app) + '.*"}[5m]))' AS command, NULL AS p
  UNION
  WITH t, ns, sel, app
  RETURN 12 AS step, 'metrics' AS area, 'memory (PromQL, Mimir)' AS check,
         'sum(container_memory_working_set_bytes{namespace="' + ns + '", pod=~"' + coalesce(t.name, app) + '.*"})' AS command, NULL AS p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)-[:MOUNTS]->(spc:SecretProviderClass)
  RETURN 13 AS step, 'secrets' AS area, 'SecretProviderClass ' + spc.name + ' exists (provider ' + coalesce(spc.provider, '?') + ')' AS check,
         'kubectl get secretproviderclass ' + spc.name + ' -n ' + ns + ' -o yaml' AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)-[:MOUNTS]->(spc:SecretProviderClass)-[f:FETCHES]->(v:VaultPath)
  RETURN 14 AS step, 'secrets' AS area, 'Vault has ' + v.path + ' with key ' + coalesce(f.key, '?') + ' (role ' + coalesce(spc.vault_role, '?') + '); lists key names, not values' AS check,
         'vault kv get -format=json ' + v.path + ' | jq "' + CASE WHEN v.kv_version = 'v1' THEN '.data' ELSE '.data.data' END + ' | keys"' AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)
  RETURN 15 AS step, 'secrets' AS area, 'ExternalSecret ' + e.name + ' synced Secret ' + s.name AS check,
         'kubectl get externalsecret ' + e.name + ' -n ' + ns AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)-[:USES]->(s:Secret)
  RETURN 16 AS step, 'secrets' AS area, 'Secret ' + s.name + ' exists with the keys the pod reads' AS check,
         'kubectl get secret ' + coalesce(s.generated_name, s.name) + ' -n ' + ns + ' -o jsonpath="{.data}" | jq keys' AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)-[:USES]->(cm:ConfigMap)
  RETURN 17 AS step, 'config' AS area, 'ConfigMap ' + cm.name + ' has the expected values' AS check,
         'kubectl get configmap ' + coalesce(cm.generated_name, cm.name) + ' -n ' + ns + ' -o yaml' AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH p = (t)<-[:MANAGES]-(:Kustomization)-[:SUBSTITUTES_FROM]->(src)
  RETURN 18 AS step, 'config' AS area, 'the substitution source ' + src.kind + ' ' + src.name + ' holds the variables' AS check,
         'kubectl get ' + toLower(src.kind) + ' ' + src.name + ' -n ' + src.namespace + CASE WHEN src.kind = 'Secret' THEN ' -o jsonpath="{.data}" | jq keys' ELSE ' -o yaml' END AS command, p
  UNION
  WITH t, ns, sel, app
  MATCH (t:Workload)
  WHERE t.kind IN ['Deployment', 'StatefulSet', 'DaemonSet']
  RETURN 19 AS step, 'config' AS area, 'the environment the running pod really has' AS check,
         'kubectl exec -n ' + ns + ' ' + CASE t.kind WHEN 'Deployment' THEN 'deploy/' WHEN 'StatefulSet' THEN 'sts/' ELSE 'ds/' END + t.name + ' -- env' AS command, NULL AS p
}
WITH step, area, check, command, p
ORDER BY length(p)
WITH step, area, check, command, head(collect(p)) AS evidence
RETURN step, area, check, command, evidence
ORDER BY step, command
