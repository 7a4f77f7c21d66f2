// Remove everything a repository's loads wrote (tests and `kg db forget`).
MATCH (n) WHERE n.repo = $repo
DETACH DELETE n
