"""Reading YAML the way messy real repositories need: every document separately,
custom tags tolerated, and each failure turned into a warning with file and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import yaml

from .model import LoadWarning

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TolerantLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader that reads unknown tags (`!env_var`, `!include`, ...) as plain values."""


def _construct_unknown(loader: yaml.Loader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


class AnchorTolerantLoader(yaml.SafeLoader):
    """Pure-Python fallback that accepts a redefined anchor (later definition wins, as
    in YAML 1.2 and Go's yaml used by kustomize and Flux); libyaml refuses it."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if not isinstance(event, yaml.AliasEvent) and getattr(event, "anchor", None) is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)


for _loader in (TolerantLoader, AnchorTolerantLoader):
    _loader.add_multi_constructor("!", _construct_unknown)
    _loader.add_multi_constructor("tag:", _construct_unknown)
    _loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


_DOC_START = re.compile(r"^---(?:[ \t]+(.*))?$")
# Deeper documents are left out: real manifests stay far below, and the recursive
# steps after parsing (dumping for substitution, copying, JSON) would overflow the stack.
MAX_DEPTH = 100


def too_deep(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed document nests lists/mappings deeper than `limit` (iterative)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _split_documents(text: str) -> Iterator[tuple[int, str]]:
    """Split a multi-document stream at `---` lines, yielding (first line number, text),
    so that one broken document does not hide the others."""
    start, buf = 1, []
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = _DOC_START.match(line.rstrip("\r\n"))
        if marker or line.rstrip() == "...":
            if buf:
                yield start, "".join(buf)
            start, buf = lineno + 1, []
            rest = (marker.group(1) or "") if marker else ""
            if rest.strip() and not rest.lstrip().startswith("#"):
                # `--- value` starts a document on the marker line itself
                start, buf = lineno, [rest + "\n"]
            continue
        buf.append(line)
    if buf:
        yield start, "".join(buf)


def _error_line(exc: yaml.YAMLError, offset: int) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return offset + mark.line if mark is not None else offset


def load_documents(text: str, rel_path: str) -> tuple[list[tuple[int, Any]], list[LoadWarning]]:
    """Parse every document of a YAML stream. Returns (line, document) pairs for the
    documents that parsed (None documents dropped) and a warning per broken one."""
    docs: list[tuple[int, Any]] = []
    warnings: list[LoadWarning] = []
    for first_line, chunk in _split_documents(text):
        if not chunk.strip():
            continue
        try:
            try:
                doc = yaml.load(chunk, Loader=TolerantLoader)  # noqa: S506 - safe loader subclass
            except yaml.composer.ComposerError as exc:
                if "duplicate anchor" not in str(exc):
                    raise
                doc = yaml.load(chunk, Loader=AnchorTolerantLoader)  # noqa: S506
        except yaml.YAMLError as exc:
            reason = str(getattr(exc, "problem", None) or exc).strip().splitlines()[0]
            warnings.append(LoadWarning(rel_path, _error_line(exc, first_line), f"invalid YAML: {reason}"))
            continue
        except (ValueError, TypeError, RecursionError) as exc:
            warnings.append(LoadWarning(rel_path, first_line, f"unreadable YAML document: {exc}"))
            continue
        if too_deep(doc):
            warnings.append(LoadWarning(rel_path, first_line, f"YAML document nested deeper than {MAX_DEPTH} levels: left out"))
            continue
        if doc is not None:
            docs.append((first_line, doc))
    return docs, warnings


def read_yaml_file(path: Path, rel_path: str) -> tuple[list[tuple[int, Any]], list[LoadWarning]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = path.read_text(encoding="utf-16")
        except (UnicodeError, OSError) as exc:
            return [], [LoadWarning(rel_path, None, f"cannot decode file: {exc}")]
    except OSError as exc:
        return [], [LoadWarning(rel_path, None, f"cannot read file: {exc.strerror or exc}")]
    return load_documents(text, rel_path)


def kubernetes_objects(
    docs: list[tuple[int, Any]], rel_path: str
) -> tuple[list[tuple[int, dict[str, Any]]], list[LoadWarning]]:
    """Keep the documents that are Kubernetes objects (apiVersion + kind + metadata.name),
    expanding `kind: List`; everything else is reported, never silently dropped."""
    objs: list[tuple[int, dict[str, Any]]] = []
    warnings: list[LoadWarning] = []
    for line, doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            objs.extend(kubernetes_objects([(line, item) for item in doc["items"]], rel_path)[0])
            continue
        if not isinstance(doc, dict):
            warnings.append(LoadWarning(rel_path, line, f"not a Kubernetes object (a YAML {type(doc).__name__})"))
            continue
        if not doc.get("apiVersion") or not doc.get("kind"):
            if "sops" in doc and len(doc) <= 2:
                reason = "SOPS metadata without an object"
            else:
                reason = "not a Kubernetes object (no apiVersion/kind)"
            warnings.append(LoadWarning(rel_path, line, reason))
            continue
        problem = _shape_problem(doc)
        if problem:
            warnings.append(LoadWarning(rel_path, line, f"not a Kubernetes object ({problem})"))
            continue
        objs.append((line, doc))
    return objs, warnings


def _shape_problem(doc: dict[str, Any]) -> str:
    """Why an object with apiVersion and kind still cannot be one (kustomize and the
    API server would refuse it), or "" when its identifying fields are sound."""
    for key in ("apiVersion", "kind"):
        if not isinstance(doc[key], str):
            return f"{key} is a {type(doc[key]).__name__}"
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return "no metadata" if metadata is None else f"metadata is a {type(metadata).__name__}"
    name = metadata.get("name")
    if name is None or name == "":
        return "no metadata.name"
    for key in ("name", "namespace"):
        if isinstance(metadata.get(key), (dict, list)):
            return f"metadata.{key} is a {type(metadata[key]).__name__}"
    for key in ("labels", "annotations"):
        if metadata.get(key) is not None and not isinstance(metadata[key], dict):
            return f"metadata.{key} is a {type(metadata[key]).__name__}"
    return ""


def dump(obj: Any) -> str:
    return yaml.dump(obj, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, default_flow_style=False)
