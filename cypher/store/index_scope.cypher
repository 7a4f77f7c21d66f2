// Scoped sweeps after a load: every node of (repo, cluster).
CREATE INDEX {label}_scope IF NOT EXISTS FOR (n:{label}) ON (n.repo, n.cluster)
