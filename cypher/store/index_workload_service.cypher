// `kg ask` finds workloads by their service name (app label) too.
CREATE INDEX Workload_service IF NOT EXISTS FOR (n:Workload) ON (n.service)
