"""Reading YAML the way messy real repositories need: every document separately,
custom tags tolerated, aliasing bounded (an alias bomb is refused before it expands), and
each failure turned into a warning with file and line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .model import LoadWarning

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# -- aliasing --------------------------------------------------------------------------
# Aliases are cheap to read (an alias is the anchored node again, nothing is copied) but
# whatever walks the result expands them: nine levels of nine `*aliases`, a few hundred
# bytes, stand for 9**9 nodes, and kg's own checks, dumps and kustomize would take
# minutes and gigabytes over it. Real manifests reuse a block a few times; a document
# whose aliases add more nodes than the bound below is refused before anything is built.
# The bound is linear in the document's size (an alias bomb is exponential).
MAX_ALIAS_NODES = 10_000  # nodes added by aliases, whatever the document's size
ALIAS_EXPANSION_FACTOR = 10  # ... or up to this many times the document's own nodes
ALIAS_REFUSED = "refused: excessive YAML aliasing (alias bomb?)"
# Only a text holding both an anchor (`&a`) and an alias (`*a`) token can alias; the
# others skip the check (most files: `*` in cron lines or globs rarely meets an anchor).
# A node property starts a line or follows a space, `[`, `{`, `,`, `:` (`{"k":*a}`) or a BOM.
_ANCHOR_TOKEN = re.compile(r"(?<![^\s\[{,:\ufeff])&[^\s\]},]")
_ALIAS_TOKEN = re.compile(r"(?<![^\s\[{,:\ufeff])\*[^\s\]},]")


class ExcessiveAliasing(yaml.MarkedYAMLError):
    """A document whose aliases expand past the bound (mark: where it is passed)."""


def may_alias(text: str) -> bool:
    return bool(_ANCHOR_TOKEN.search(text) and _ALIAS_TOKEN.search(text))


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def excessive_alias_node(root: yaml.Node) -> yaml.Node | None:
    """The collection whose expansion passes the bound (or whose alias refers to itself,
    an endless expansion), or None. Works on the composed graph, where an alias is the
    same node object met again: sizes are memoised, so the walk is linear in the
    document's own nodes however large the expansion; iterative, for deep documents."""
    own_nodes = {id(root)}
    stack = [root]
    while stack:
        for child in _node_children(stack.pop()):
            if id(child) not in own_nodes:
                own_nodes.add(id(child))
                stack.append(child)
    # expanded size - own nodes = nodes added by aliases; a subtree alone passing the
    # bound is enough to refuse (the document is at least that large)
    most = len(own_nodes) + max(MAX_ALIAS_NODES, ALIAS_EXPANSION_FACTOR * len(own_nodes))
    expanded: dict[int, int] = {}
    open_nodes = {id(root)}  # on the current path: meeting one again is a cycle
    frames: list[tuple[yaml.Node, Iterator[yaml.Node], list[int]]] = [(root, iter(_node_children(root)), [1])]
    while frames:
        node, children, size = frames[-1]
        following: yaml.Node | None = next(children, None)
        if following is None:
            frames.pop()
            open_nodes.discard(id(node))
            expanded[id(node)] = size[0]
            if frames:
                frames[-1][2][0] += size[0]
                if frames[-1][2][0] > most:
                    return frames[-1][0]
            continue
        if id(following) in open_nodes:
            return node
        if id(following) in expanded:
            size[0] += expanded[id(following)]
            if size[0] > most:
                return node
        elif isinstance(following, yaml.ScalarNode):
            size[0] += 1
        else:
            open_nodes.add(id(following))
            frames.append((following, iter(_node_children(following)), [1]))
    return None


class _AliasBound:
    """Loader mixin: compose the document (aliases stay shared nodes), refuse it when its
    aliases expand past the bound, and only then construct Python objects."""

    def __init__(self, stream: Any) -> None:
        self._check_aliases = not isinstance(stream, str) or may_alias(stream)
        super().__init__(stream)  # type: ignore[call-arg]

    def get_single_data(self) -> Any:
        node = self.get_single_node()  # type: ignore[attr-defined]
        if node is None:
            return None
        culprit = excessive_alias_node(node) if self._check_aliases else None
        if culprit is not None:
            raise ExcessiveAliasing(problem=ALIAS_REFUSED, problem_mark=culprit.start_mark)
        return self.construct_document(node)  # type: ignore[attr-defined]


class TolerantLoader(_AliasBound, _Base):  # type: ignore[misc, valid-type]
    """SafeLoader that reads unknown tags (`!env_var`, `!include`, ...) as plain values."""


def _construct_unknown(loader: yaml.Loader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


class AnchorTolerantLoader(_AliasBound, yaml.SafeLoader):
    """Pure-Python fallback that accepts a redefined anchor (later definition wins, as
    in YAML 1.2 and Go's yaml used by kustomize and Flux); libyaml refuses it."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if not isinstance(event, yaml.AliasEvent) and getattr(event, "anchor", None) is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)


for _loader in (TolerantLoader, AnchorTolerantLoader):
    _loader.add_multi_constructor("!", _construct_unknown)
    _loader.add_multi_constructor("tag:", _construct_unknown)
    _loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]


class BoundedSafeLoader(_AliasBound, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml.safe_load's loader (unknown tags are errors; libyaml when present) with the
    aliasing bound."""


def safe_load(text: str | bytes) -> Any:
    """yaml.safe_load, refusing excessive aliasing (ExcessiveAliasing, a YAMLError)."""
    return yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 - a SafeLoader subclass


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
    start, buf = 1, list[str]()
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
    docs, warnings = load_documents_with_text(text, rel_path)
    return [(line, doc) for line, doc, _ in docs], warnings


def load_documents_with_text(text: str, rel_path: str) -> tuple[list[tuple[int, Any, str]], list[LoadWarning]]:
    """`load_documents`, with each document's own text beside it."""
    docs: list[tuple[int, Any, str]] = []
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
        except ExcessiveAliasing as exc:
            warnings.append(LoadWarning(rel_path, _error_line(exc, first_line), ALIAS_REFUSED))
            continue
        except yaml.YAMLError as exc:
            reason = str(getattr(exc, "problem", None) or exc).strip().splitlines()[0]
            warnings.append(LoadWarning(rel_path, _error_line(exc, first_line), f"invalid YAML: {reason}"))
            continue
        except (ValueError, TypeError, RecursionError) as exc:
            warnings.append(LoadWarning(rel_path, first_line, f"unreadable YAML document: {exc}"))
            continue
        if too_deep(doc):
            warnings.append(
                LoadWarning(rel_path, first_line, f"YAML document nested deeper than {MAX_DEPTH} levels: left out")
            )
            continue
        if doc is not None:
            docs.append((first_line, doc, chunk))
    return docs, warnings


def excessive_aliasing_line(text: str) -> int | None:
    """The line of the first document of a YAML stream that aliases past the bound, or
    None; composes only, builds nothing. For files kg hands to another program (kustomize)
    without reading them itself. Documents that do not parse are not its concern."""
    if not may_alias(text):
        return None
    for first_line, chunk in _split_documents(text):
        if not may_alias(chunk):
            continue
        for loader_class in (TolerantLoader, AnchorTolerantLoader):
            loader = loader_class(chunk)
            try:
                node = loader.get_single_node()
            except yaml.composer.ComposerError as exc:
                if "duplicate anchor" in str(exc):
                    continue  # redefined anchors: composed again by the tolerant loader
                break
            except (yaml.YAMLError, ValueError, TypeError, RecursionError):
                break
            finally:
                loader.dispose()
            culprit = excessive_alias_node(node) if node is not None else None
            if culprit is not None:
                return first_line + culprit.start_mark.line
            break
    return None


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
    return yaml.dump(
        obj, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, default_flow_style=False
    )
