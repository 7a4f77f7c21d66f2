// A batch of LiveStatus nodes of one cluster (its previous ones were just deleted). A
// failing one also gets the label Failing: Neo4j Browser's style (cypher/browser/
// style.grass) colours by label only, and this makes failing objects' status red there.
UNWIND $rows AS row
CREATE (n:LiveStatus)
SET n = row.props
WITH n, row
WHERE row.props.status_failing
SET n:Failing
