// Remove everything a repository's loads wrote (Store.delete_repo; used by the tests).
MATCH (n) WHERE n.repo = $repo
DETACH DELETE n
