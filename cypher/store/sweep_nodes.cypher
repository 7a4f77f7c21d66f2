// Delete this scope's nodes that this load did not write (and their relationships).
MATCH (n:{label})
WHERE n.repo = $repo AND ($clusters IS NULL OR n.cluster IN $clusters) AND n.load_tag <> $tag
DETACH DELETE n
