// Unique, indexed node id per label. {label} is a schema label, never user input.
CREATE CONSTRAINT {label}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE
