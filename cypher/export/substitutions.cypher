// export: substitutions
// summary: Flux post-build substitution sources: one row per (Kustomization,
// substituteFrom entry) with the source's kind, name, namespace and `optional`.
// columns: cluster, kustomization, kind, name, namespace, optional
MATCH (k:Kustomization)-[r:SUBSTITUTES_FROM]->(s)
WHERE k.repo = $repo
  AND (k.cluster IN $clusters OR $clusters IS NULL)
RETURN k.cluster AS cluster, k.name AS kustomization, s.kind AS kind, s.name AS name,
       s.namespace AS namespace, coalesce(r.`optional`, false) AS `optional`  // `optional` is a keyword in the embedded engine
ORDER BY cluster, kind, namespace, name, kustomization
