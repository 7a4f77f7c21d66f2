// The snapshot node's properties, all replaced (the lock property goes too).
MATCH (s:StatusSnapshot {id: $id})
SET s = $props
