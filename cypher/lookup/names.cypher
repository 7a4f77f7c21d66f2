// Every distinct node name (with its kind), to suggest close matches for an unknown target.
MATCH (n)
WHERE n.name IS NOT NULL AND ($repo IS NULL OR n.repo = $repo) AND ($cluster IS NULL OR n.cluster = $cluster)
RETURN DISTINCT n.name AS name, n.kind AS kind
ORDER BY name, kind
