// A batch of LiveStatus nodes of one cluster (its previous ones were just deleted).
UNWIND $rows AS row
CREATE (n:LiveStatus)
SET n = row.props
