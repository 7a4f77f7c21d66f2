// How many nodes one label holds (kg db status).
MATCH (n:{label})
RETURN count(n) AS count
