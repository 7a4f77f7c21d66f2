// Name lookups (kg ask targets) per label.
CREATE INDEX {label}_name IF NOT EXISTS FOR (n:{label}) ON (n.name)
