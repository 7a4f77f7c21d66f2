// Every node of one label, as stored (a load keeps what lies outside its scope).
MATCH (n:{label})
RETURN n
