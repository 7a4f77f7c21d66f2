// export: status_snapshots
// summary: `kg export --with-status` only: the status snapshot of each cluster (kg status
// load), when it was taken and what it counted.
// columns: cluster, snapshot_at, source, objects, matched, live_only, repo_only, failing
MATCH (s:StatusSnapshot)
WHERE s.status_repo = $repo
  AND (s.cluster IN $clusters OR $clusters IS NULL)
RETURN s.cluster AS cluster, s.status_snapshot_at AS snapshot_at, s.status_source AS source,
       s.status_objects AS objects, s.status_matched AS matched, s.status_live_only AS live_only,
       s.status_repo_only AS repo_only, s.status_failing_count AS failing
