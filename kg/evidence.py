"""Evidence: paths in one engine-neutral form, and their text. Both stores turn the
paths a query returns into PathTokens, so `kg ask` formats them the same whichever
engine answered; queries may also return evidence as token segments they built as text."""

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


def _alternative_text(alternative: Any) -> str:
    if isinstance(alternative, PathTokens):
        return format_token_segments([list(alternative.tokens)])
    return format_token_segments([list(p.tokens) for p in alternative if p is not None])


def format_path(path: Any) -> str:
    """Evidence text: Kind/name -[TYPE]-> Kind/name <-[TYPE]- ...

    A path is shown as it is. A list holds alternatives (what collect(p) gives where
    several paths explain a row): the shortest is shown, ties broken by text so every
    engine shows the same one. An alternative may itself be a list of segments that
    join end to end (queries return segments where one long path would be costly)."""
    if path is None:
        return ""
    if isinstance(path, PathTokens):
        return _alternative_text(path)
    alternatives = [
        a for a in path if a is not None and (isinstance(a, PathTokens) or any(isinstance(p, PathTokens) for p in a))
    ]
    if not alternatives:
        return ""
    texts = [_alternative_text(a) for a in alternatives]
    return min(texts, key=lambda text: (text.count(" -[") + text.count(" <-["), text))


def _flip(arrow: str) -> str:
    return "<" + arrow[:-1] if arrow.endswith(">") else arrow[1:] + ">"


def format_token_segments(segments: list[list[str]]) -> str:
    """Evidence a query built as text: per segment, tokens "Kind/name -[TYPE]->" ... and
    a last "Kind/name"; segments are oriented and joined end to end like paths."""
    parsed = []
    for tokens in segments:
        nodes, arrows = [], []
        for token in tokens[:-1]:
            node, _, arrow = token.rpartition(" ")
            nodes.append(node)
            arrows.append(arrow)
        parsed.append((nodes + [tokens[-1]], arrows))

    def reverse(seg: tuple[list[str], list[str]]) -> tuple[list[str], list[str]]:
        return seg[0][::-1], [_flip(a) for a in seg[1][::-1]]

    nodes, arrows = parsed[0]
    if len(parsed) > 1 and nodes[-1] not in (parsed[1][0][0], parsed[1][0][-1]):
        nodes, arrows = reverse(parsed[0])
    for seg in parsed[1:]:
        if seg[0][0] != nodes[-1]:
            seg = reverse(seg)
        nodes, arrows = nodes + seg[0][1:], arrows + seg[1]
    parts = [nodes[0]]
    for arrow, node in zip(arrows, nodes[1:]):
        parts += [arrow, node]
    return " ".join(parts)


def _is_token_segments(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(seg, list) and seg and all(isinstance(t, str) for t in seg) for seg in value)
    )


def _is_paths(value: Any) -> bool:
    """A list of paths (or of lists of path segments), possibly empty of anything else."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            v is None
            or isinstance(v, PathTokens)
            or (isinstance(v, list) and all(isinstance(p, PathTokens) or p is None for p in v))
            for v in value
        )
        and any(v is not None for v in value)
    )


def cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value  # most cells: a large answer has tens of thousands
    if isinstance(value, PathTokens) or _is_paths(value):
        return format_path(value)
    if _is_token_segments(value):
        return format_token_segments(value)
    if isinstance(value, list):
        return [cell(v) for v in value]
    return value


def shortest(alternatives: Any) -> PathTokens | None:
    paths = [
        a for a in (alternatives if isinstance(alternatives, list) else [alternatives]) if isinstance(a, PathTokens)
    ]
    return min(paths, key=lambda p: (len(p.tokens), p.tokens)) if paths else None


def joined_segments(row: dict[str, Any], columns: list[str]) -> str:
    """The `evidence segments` header: the shortest alternative of each column, joined."""
    written = row.get(columns[0])
    if isinstance(written, str):
        return written  # evidence the query wrote as text
    chosen = [p for p in (shortest(row.get(c)) for c in columns) if p is not None]
    return format_token_segments([list(p.tokens) for p in chosen]) if chosen else ""
