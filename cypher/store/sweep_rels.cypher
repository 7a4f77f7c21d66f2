// Delete the relationships leaving this scope's nodes that this load did not write.
MATCH (a:{label})-[r]->()
WHERE a.repo = $repo AND ($clusters IS NULL OR a.cluster IN $clusters) AND r.load_tag <> $tag
DELETE r
