// Status snapshots loaded (kg status load), one per cluster.
MATCH (s:StatusSnapshot)
RETURN s.status_repo AS repo, s.cluster AS cluster, s.status_snapshot_at AS snapshot_at, s.status_source AS source,
       s.status_objects AS objects, s.status_failing_count AS failing, s.status_live_only AS live_only,
       s.status_repo_only AS repo_only
ORDER BY repo, cluster
