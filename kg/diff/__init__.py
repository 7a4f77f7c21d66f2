"""`kg diff BASE [HEAD]`: what a change to the Flux repository does, and what it can break.

compare.py: two GraphDocs -> changes per cluster (generic over labels and properties);
sides.py: a revision or a folder -> a folder to load (git archive, nothing in the checkout
changes); impact.py: each change's blast radius in HEAD (the blast-radius question on a
temporary embedded graph); output.py: markdown (a pull-request comment), json, table.
"""

from kg.diff.compare import POLICIES, Change, Cycle, Diff, FieldChange, Impact, ImpactRow, compare, failed_policies

__all__ = [
    "POLICIES", "Change", "Cycle", "Diff", "FieldChange", "Impact", "ImpactRow", "compare", "failed_policies",
]  # fmt: skip
