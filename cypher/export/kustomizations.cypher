// export: kustomizations
// summary: One row per Flux Kustomization with its spec as rendered and the Flux
// Kustomization that applies it (none for the cluster root); feeds flux-resources.json.
// columns: id, cluster, name, namespace, path, source_dir, source_kind, source_name, depends_on, interval, prune, suspend, wait, timeout, target_namespace, substitute_from, root, source_file, render_error, unresolved_vars, parent
MATCH (k:Kustomization)
WHERE k.repo = $repo
  AND (k.cluster IN $clusters OR $clusters IS NULL)
  AND coalesce(k.missing, false) = false
OPTIONAL MATCH (applier:Kustomization)-[:MANAGES]->(k)
WITH k, min(applier.name) AS parent
RETURN k.id AS id, k.cluster AS cluster, k.name AS name, k.namespace AS namespace,
       k.path AS path, k.source_dir AS source_dir, k.source_kind AS source_kind,
       k.source_name AS source_name, k.depends_on AS depends_on, k.interval AS interval,
       k.prune AS prune, k.suspend AS suspend, k.wait AS wait, k.timeout AS timeout,
       k.target_namespace AS target_namespace, k.substitute_from AS substitute_from,
       k.root AS root, k.source_file AS source_file, k.render_error AS render_error,
       k.unresolved_vars AS unresolved_vars, parent
ORDER BY name, cluster, namespace
