// How many relationships one type holds (kg db status).
MATCH ()-[r:{type}]->()
RETURN count(r) AS count
