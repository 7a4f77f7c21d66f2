"""Evidence paths in one engine-neutral form: both stores turn the paths a query
returns into PathTokens, so `kg ask` formats them the same whichever engine answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PathTokens:
    """A path as tokens: "Kind/name -[TYPE]->" (or "<-[TYPE]-") per step, then the last node."""

    tokens: tuple[str, ...]


def caption(node: dict[str, Any]) -> str:
    return f"{node.get('kind') or '?'}/{node.get('name') or '?'}"


def path_tokens(nodes: list[dict[str, Any]], forward: list[bool], types: list[str]) -> PathTokens:
    """Tokens from a path's nodes (in path order), and per step its relationship type and
    whether the relationship points along the path."""
    tokens = [
        f"{caption(node)} " + (f"-[{rel_type}]->" if ahead else f"<-[{rel_type}]-")
        for node, ahead, rel_type in zip(nodes, forward, types)
    ]
    return PathTokens(tuple(tokens + [caption(nodes[-1])]))
