// question: blast-radius
// summary: Everything impacted downstream if NAME fails, each row with the kind of impact and the path that explains it.
// targets: Kustomization, HelmRelease, SecretBackend, Service, Workload, ConfigMap, ConfigKey, Secret, SecretProviderClass, SecretStore, ExternalSecret, Source, Namespace, Variable, VaultPath
// empty: nothing in the graph depends on it
// param name: what fails: a Kustomization, HelmRelease, SecretBackend (e.g. vault), Service, ConfigMap, Secret, ... by name; every object of that name counts
// param cluster: only this cluster (optional)
// columns: cluster, impact, kind, name, namespace, reason, evidence
// evidence: the shortest path from the impacted object to NAME
// neo4j-only: evidence text is built in Cypher (list comprehension, type()) so thousands of rows do not ship whole paths; an embedded engine needs a variant
//
// Impact travels against dependency edges and along ownership edges:
// - delivery: a Flux object that waits on NAME through dependsOn (transitively), and
//   every object applied by NAME or by such a waiting Kustomization (MANAGES, nested):
//   reconciliation is blocked, running objects keep running but stop receiving changes;
// - runtime: a workload that mounts a SecretProviderClass, or uses a Secret synced by an
//   ExternalSecret through a SecretStore, whose secret backend is NAME, is served by NAME,
//   or is served by something NAME applies; a workload whose SecretProviderClass or
//   ExternalSecret reads NAME (a Vault path), or that reads a key whose value uses NAME
//   (a variable); and anything that uses, mounts, reads, calls, fetches or takes values
//   or variables from NAME directly.
// Depth is bounded (10 dependsOn hops, 5 MANAGES levels); each (object, impact) is
// listed once, with its shortest explaining path.
MATCH (t)
WHERE t.id IN $ids
CALL {
  WITH t
  MATCH p = (x)-[:DEPENDS_ON*1..10]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'delivery' AS impact, 'waits on ' + t.kind + ' ' + t.name + ' (dependsOn)' AS reason
  UNION
  WITH t
  // first the shortest dependsOn chain to each waiting Kustomization, then what it
  // applies: enumerating whole paths at once grows with chains x objects
  MATCH pk = (k:Kustomization)-[:DEPENDS_ON*0..10]->(t)
  WITH t, k, pk
  ORDER BY length(pk)
  WITH t, k, head(collect(pk)) AS pk
  MATCH pm = (k)-[:MANAGES*1..5]->(x)
  RETURN x, [pm, pk] AS segments, length(pm) + length(pk) AS hops, 'delivery' AS impact,
         'applied by Kustomization ' + k.name + ', blocked while ' + t.name + ' fails' AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:MOUNTS]->(s:SecretProviderClass)-[:BACKED_BY]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'mounts SecretProviderClass ' + s.name + ' backed by ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:MOUNTS]->(s:SecretProviderClass)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'mounts SecretProviderClass ' + s.name + ' whose backend ' + b.name + ' is served by ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:MOUNTS]->(s:SecretProviderClass)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(h)<-[:MANAGES]-(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'mounts SecretProviderClass ' + s.name + ' whose backend ' + b.name + ' is served by ' + h.name + ', applied by ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:VIA]->(:SecretStore)-[:BACKED_BY]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' from ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:VIA]->(:SecretStore)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' from ' + b.name + ', served by ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:VIA]->(:SecretStore)-[:BACKED_BY]->(b:SecretBackend)-[:SERVED_BY]->(h)<-[:MANAGES]-(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' from ' + b.name + ', served by ' + h.name + ', applied by ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:MOUNTS]->(s:SecretProviderClass)-[:FETCHES]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'mounts SecretProviderClass ' + s.name + ' that reads ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:USES]->(s:Secret)<-[:SYNCS]-(e:ExternalSecret)-[:FETCHES]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'uses Secret ' + s.name + ' synced by ExternalSecret ' + e.name + ' from ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x:Workload)-[:READS_KEY]->(k:ConfigKey)-[:USES_VAR]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'reads ' + k.configmap + '/' + k.key + ' whose value uses ' + t.name AS reason
  UNION
  WITH t
  MATCH p = (x)-[:USES|MOUNTS|READS_KEY|CALLS|VALUES_FROM|SUBSTITUTES_FROM|USES_VAR|FETCHES]->(t)
  RETURN x, [p] AS segments, length(p) AS hops, 'runtime' AS impact, 'uses ' + t.kind + ' ' + t.name + ' directly' AS reason
}
WITH t, x, segments, hops, impact, reason
WHERE x <> t
WITH x, impact, reason, segments, hops
ORDER BY hops, reason
WITH x, impact, head(collect(reason)) AS reason, head(collect(segments)) AS segments
// evidence as text tokens, built here: a large answer (thousands of rows) would spend
// most of its time shipping whole paths, every node with all its properties, to kg.
// (Neo4j only: list comprehension and type(); see docs/questions.md, Portability.)
WITH x, impact, reason,
     [p IN segments | [i IN range(0, length(p) - 1) |
        nodes(p)[i].kind + '/' + nodes(p)[i].name + ' ' +
        CASE WHEN startNode(relationships(p)[i]) = nodes(p)[i]
             THEN '-[' + type(relationships(p)[i]) + ']->' ELSE '<-[' + type(relationships(p)[i]) + ']-' END]
        + [last(nodes(p)).kind + '/' + last(nodes(p)).name]] AS evidence
RETURN x.cluster AS cluster,
       impact,
       x.kind AS kind,
       x.name AS name,
       x.namespace AS namespace,
       reason,
       evidence
ORDER BY cluster, impact, kind, name, namespace
