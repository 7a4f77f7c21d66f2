// Every distinct node name (with its kind), to suggest close matches for an unknown target.
MATCH (n)
WHERE n.name IS NOT NULL AND (n.repo = $repo OR $repo IS NULL) AND (n.cluster = $cluster OR $cluster IS NULL)
RETURN DISTINCT n.name AS name, n.kind AS kind
ORDER BY name, kind
