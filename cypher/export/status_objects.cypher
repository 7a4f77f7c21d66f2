// export: status_objects
// summary: `kg export --with-status` only: every object a status snapshot reports failing
// (not ready, stalled, suspended, absent) or live but not in the repository, with Flux's
// reason and message, whether it is a root cause, what explains it and the next command.
// Healthy objects are counted by status_snapshots, not listed.
// columns: cluster, kind, namespace, name, ready, reason, message, since, drift, failing, root_cause, explained_by, cause, next, applied_revision
MATCH (s:LiveStatus)
WHERE s.status_repo = $repo
  AND (s.cluster IN $clusters OR $clusters IS NULL)
  AND (s.status_failing OR s.status_drift IS NOT NULL)
RETURN s.cluster AS cluster, s.status_kind AS kind, s.namespace AS namespace, s.name AS name,
       s.status_ready AS ready, s.status_reason AS reason, s.status_message AS message, s.status_since AS since,
       s.status_drift AS drift, s.status_failing AS failing, s.status_root_cause AS root_cause,
       s.status_explained_by AS explained_by, s.status_cause AS cause, s.status_next AS next,
       s.status_applied_revision AS applied_revision
