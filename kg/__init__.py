"""flux-kg: a Flux CD GitOps repository as a knowledge graph."""

__version__ = "0.1.0"
