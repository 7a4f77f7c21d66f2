// Exploration queries for Neo4j Browser: printed by `kg browser`, served as a Browser
// guide by `kg browser --serve`, run against the example repository by the tests.
//
// Format. Everything before the first `// query:` line is this documentation. Each
// query starts with a header, then its Cypher text up to the next `// query:` line:
//
//   // query: <id>                 a short identifier (letters, digits, dashes)
//   // title: <one line>
//   // about: <text>               repeatable; the lines form one paragraph
//   // param <name>: <default>     a Cypher literal ('papi', null); repeatable
//
// A parameter whose default is null is an optional filter, written
// `($repo IS NULL OR x.repo = $repo)`, so every query runs with or without it.
// In the Browser, set the parameters once with
//   :params {name: 'papi', cluster: null, repo: null}
// (or `:param name => 'corestate'` to change one). Every query returns paths, so the
// Browser draws a graph; the Table view lists the same paths as text.

// query: service
// title: The neighbourhood of a service
// about: The workload (or HelmRelease) named $name with the Flux Kustomization that
// about: applies it, the Service that selects it and who calls that Service, its
// about: SecretProviderClass with the Vault paths and secret backend, and the
// about: ConfigMaps, keys and Secrets it reads.
// param name: 'papi'
// param cluster: null
// param repo: null
MATCH (w)
WHERE (w:Workload OR w:HelmRelease)
  AND (w.name = $name OR w.service = $name)
  AND ($cluster IS NULL OR w.cluster = $cluster)
  AND ($repo IS NULL OR w.repo = $repo)
CALL {
  WITH w
  MATCH p = (:Kustomization)-[:MANAGES]->(w)
  RETURN p
  UNION
  WITH w
  MATCH p = (:Service)-[:SELECTS]->(w)
  RETURN p
  UNION
  WITH w
  MATCH p = (caller)-[:CALLS]->(:Service)-[:SELECTS]->(w)
  RETURN p
  UNION
  WITH w
  MATCH p = (w)-[:MOUNTS]->(:SecretProviderClass)-[:FETCHES|BACKED_BY]->()
  RETURN p
  UNION
  WITH w
  MATCH p = (w)-[:USES|READS_KEY|VALUES_FROM|CALLS|FROM_SOURCE|DEPENDS_ON]->()
  RETURN p
}
RETURN p

// query: flux-tree
// title: The Flux tree of a cluster
// about: From the cluster's root Kustomization down every MANAGES level to each
// about: Kustomization and HelmRelease, with the source each one reads from.
// about: Set $cluster to one cluster (null: every cluster).
// param cluster: null
// param repo: null
MATCH p = (c:Cluster)-[:ROOT]->(:Kustomization)-[:MANAGES*0..10]->(x)
WHERE (x:Kustomization OR x:HelmRelease)
  AND ($cluster IS NULL OR c.name = $cluster)
  AND ($repo IS NULL OR c.repo = $repo)
OPTIONAL MATCH s = (x)-[:FROM_SOURCE]->(:Source)
RETURN p, s

// query: failing
// title: What is failing and why
// about: After `kg status load` (or `--live`): every object the cluster reports failing
// about: (not ready, stalled, suspended, absent), drawn with its live status (red: the
// about: style colours the Failing label), and from each symptom the chain
// about: (dependsOn, what applies it, its source) to the root cause that explains it.
// about: Without a status snapshot this draws nothing: load one first.
// param cluster: null
// param repo: null
MATCH p = (s:LiveStatus)-[:STATUS_OF]->(x)
WHERE s.status_failing
  AND ($cluster IS NULL OR s.cluster = $cluster)
  AND ($repo IS NULL OR s.status_repo = $repo)
OPTIONAL MATCH q = (x)-[:DEPENDS_ON|MANAGES|FROM_SOURCE*1..4]->(y)<-[:STATUS_OF]-(c:LiveStatus)
WHERE c.status_root_cause AND NOT s.status_root_cause
RETURN p, q

// query: vault
// title: Everything between Vault and a workload
// about: How the workload named $name gets its secrets: the SecretProviderClass it
// about: mounts, the Vault paths it fetches and the Kubernetes Secret it syncs, the
// about: secret backend (the Vault server) and what serves it, down to the Flux
// about: Kustomization that deploys Vault; ExternalSecrets and their stores likewise.
// param name: 'papi'
// param cluster: null
// param repo: null
MATCH (w:Workload)
WHERE (w.name = $name OR w.service = $name)
  AND ($cluster IS NULL OR w.cluster = $cluster)
  AND ($repo IS NULL OR w.repo = $repo)
CALL {
  WITH w
  MATCH p = (w)-[:MOUNTS]->(:SecretProviderClass)-[:FETCHES|SYNCS]->()
  RETURN p
  UNION
  WITH w
  MATCH p = (w)-[:MOUNTS]->(:SecretProviderClass)-[:BACKED_BY]->(:SecretBackend)-[:SERVED_BY]->()<-[:MANAGES]-(:Kustomization)
  RETURN p
  UNION
  WITH w
  MATCH p = (w)-[:MOUNTS]->(:SecretProviderClass)-[:BACKED_BY]->(:SecretBackend)-[:SERVED_BY|CALLS]->()
  RETURN p
  UNION
  WITH w
  MATCH p = (w)-[:USES]->(:Secret)<-[:SYNCS]-(:ExternalSecret)-[:FETCHES]->(:VaultPath)
  RETURN p
  UNION
  WITH w
  MATCH p = (w)-[:USES]->(:Secret)<-[:SYNCS]-(:ExternalSecret)-[:VIA]->(:SecretStore)-[:BACKED_BY]->(:SecretBackend)
  RETURN p
}
RETURN p

// query: depends-on
// title: The dependsOn chain
// about: The Flux objects named $name (a Kustomization or HelmRelease, or the
// about: Kustomization that applies the object named $name) with everything they wait
// about: for (upstream) and everything that waits for them (downstream), transitively.
// param name: 'papi'
// param cluster: null
// param repo: null
MATCH (t)
WHERE t.name = $name
  AND ($cluster IS NULL OR t.cluster = $cluster)
  AND ($repo IS NULL OR t.repo = $repo)
OPTIONAL MATCH (k:Kustomization)-[:MANAGES]->(t)
WITH DISTINCT t, CASE WHEN t:Kustomization OR t:HelmRelease THEN t ELSE k END AS f
WHERE f IS NOT NULL
OPTIONAL MATCH a = (f)-[:MANAGES]->(t)
CALL {
  WITH f
  MATCH p = (f)-[:DEPENDS_ON*1..10]->()
  RETURN p
  UNION
  WITH f
  MATCH p = ()-[:DEPENDS_ON*1..10]->(f)
  RETURN p
}
RETURN a, p

// query: config
// title: Where a service's configuration comes from
// about: The ConfigMap keys the workload named $name reads, each key's ConfigMap, the
// about: post-build variables a value uses and where each variable is defined, and the
// about: Services its configuration points at.
// param name: 'papi'
// param cluster: null
// param repo: null
MATCH (w:Workload)
WHERE (w.name = $name OR w.service = $name)
  AND ($cluster IS NULL OR w.cluster = $cluster)
  AND ($repo IS NULL OR w.repo = $repo)
MATCH p = (w)-[:READS_KEY]->(key:ConfigKey)
OPTIONAL MATCH m = (:ConfigMap)-[:HAS_KEY]->(key)
OPTIONAL MATCH v = (key)-[:USES_VAR]->(:Variable)-[:DEFINED_BY]->()
OPTIONAL MATCH c = (key)-[:CALLS]->(:Service)
RETURN p, m, v, c

// query: schema
// title: The shape of the graph
// about: Every label and relationship type present, drawn with kg's style: a legend
// about: for the colours and a map of what connects to what.
CALL db.schema.visualization()
