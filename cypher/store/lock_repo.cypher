// The first statement of every load transaction: write the Repo node. Neo4j holds
// that write lock until the transaction commits or rolls back (also when the client
// dies or the connection drops), so a second load of the same repository, whatever
// its clusters, waits here and never interleaves with the first. The unique id
// constraint makes two first loads of a new repository wait the same way.
MERGE (r:Repo {id: $repo})
ON CREATE SET r.name = $repo, r.kind = 'Repo', r.repo = $repo
SET r.load_lock = $tag
