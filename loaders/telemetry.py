"""Where a collector sends logs and metrics, read from its configuration in the repository:
Grafana Alloy (River syntax, in a ConfigMap or a chart value) and the YAML shapes of the
common charts' values (Prometheus-style `remoteWrite` lists, Promtail `clients`, Vector
`sinks`). Each found writer is a `Shipment`: the signal, the endpoint, the tenant and the
header that carries it, the labels the pipeline puts on what it sends, and what feeds it.

Parsing is tolerant: an unknown component or a value that is an expression is skipped,
never an error; the configuration is the user's and Alloy itself validates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .model import as_dict, walk

# Alloy components that write, and the signal each carries
ALLOY_WRITERS = {
    "loki.write": "logs",
    "prometheus.remote_write": "metrics",
    "otelcol.exporter.otlp": "traces",
    "otelcol.exporter.otlphttp": "traces",
}
_HOST_PORT = re.compile(r"^[a-z0-9][a-z0-9.-]*:\d{1,5}$", re.IGNORECASE)
_LOG_STORE = re.compile(r"//[^/]*(loki|logs)[^/]*", re.IGNORECASE)  # a log store's host
TENANT_HEADERS = ("x-scope-orgid", "accountid", "projectid")  # Loki/Mimir/Cortex, VictoriaMetrics
# a `tenant_id` setting (Loki clients) is sent as this header, the one queries carry too
TENANT_ID_HEADER = "X-Scope-OrgID"


@dataclass
class Shipment:
    signal: str  # logs | metrics | traces
    component: str  # the writer as named in the configuration
    url: str
    tenant: str = ""
    tenant_header: str = ""  # the header carrying the tenant
    labels: list[str] = field(default_factory=list)  # label names; external labels as name=value
    sources: list[str] = field(default_factory=list)  # what feeds the writer


# -- Alloy (River) -----------------------------------------------------------------------
@dataclass
class Block:
    kind: str  # e.g. loki.write
    label: str
    attrs: dict[str, str]  # raw value text of each attribute
    blocks: list[Block]


_BLOCK_HEAD = re.compile(r'([A-Za-z_][\w.]*)\s*(?:"([^"]*)")?\s*\{')
_ATTR = re.compile(r"([A-Za-z_]\w*)\s*=\s*")


def _strip_comments(text: str) -> str:
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2)
            i = n if i < 0 else i + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _value_end(text: str, i: int) -> int:
    """End of the attribute value starting at i: the end of its line, past brackets and strings."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in "[{(":
            depth += 1
        elif c in "]})":
            if depth == 0:
                return i
            depth -= 1
        elif c == "\n" and depth == 0:
            return i
        i += 1
    return n


def _parse_body(text: str, i: int) -> tuple[dict[str, str], list[Block], int]:
    attrs: dict[str, str] = {}
    blocks: list[Block] = []
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] == "}":
            return attrs, blocks, i + 1
        attr = _ATTR.match(text, i)
        if attr and not text.startswith("==", attr.end() - 1):
            end = _value_end(text, attr.end())
            attrs[attr.group(1)] = text[attr.end() : end].strip()
            i = end
            continue
        head = _BLOCK_HEAD.match(text, i)
        if head:
            inner_attrs, inner_blocks, i = _parse_body(text, head.end())
            blocks.append(Block(head.group(1), head.group(2) or "", inner_attrs, inner_blocks))
            continue
        i = _value_end(text, i) + 1  # not understood: skip the line
    return attrs, blocks, n


def parse_alloy(text: str) -> list[Block]:
    """The top-level blocks of an Alloy configuration."""
    _, blocks, _ = _parse_body(_strip_comments(text) + "\n}", 0)
    return blocks


def _string(raw: str) -> str:
    m = re.fullmatch(r'\s*"((?:[^"\\]|\\.)*)"\s*,?\s*', raw or "")
    return m.group(1) if m else ""


def _map(raw: str) -> dict[str, str]:
    """`{ "k" = "v", k2 = "v2" }` (or `:`) -> its string values."""
    pairs = re.findall(r'"?([\w.-]+)"?\s*[=:]\s*"((?:[^"\\]|\\.)*)"', raw or "")
    return dict(pairs)


def _references(raw: str) -> list[str]:
    """`[loki.write.x.receiver, ...]` or `discovery.relabel.y.output` -> component names."""
    return re.findall(r"([a-z_][\w]*(?:\.[a-z_][\w]*)+)\.(?:receiver|output|targets|exports|input)\b", raw or "")


def _is_alloy(text: str) -> bool:
    return any(f'{kind} "' in text for kind in ALLOY_WRITERS)


def alloy_shipments(text: str) -> list[Shipment]:
    blocks = parse_alloy(text)
    by_name = {f"{b.kind}.{b.label}": b for b in blocks}
    feeds: dict[str, list[str]] = {}  # component -> the components forwarding to it
    for b in blocks:
        for target in _references(b.attrs.get("forward_to", "")):
            feeds.setdefault(target, []).append(f"{b.kind}.{b.label}")
        for output in [x for x in b.blocks if x.kind == "output"]:  # otelcol components
            for attr in output.attrs.values():
                for target in _references(attr):
                    feeds.setdefault(target, []).append(f"{b.kind}.{b.label}")

    def upstream(name: str, seen: frozenset[str] = frozenset()) -> list[str]:
        found = []
        for source in feeds.get(name, []):
            if source not in seen:
                found.append(source)
                found += upstream(source, seen | {name})
        return found

    def relabel_labels(name: str) -> tuple[list[str], list[str]]:
        """(target labels set, namespaces kept) by a relabel component's rules."""
        b = by_name.get(name)
        labels, kept = [], []
        for rule in b.blocks if b else []:
            action = _string(rule.attrs.get("action", "")) or "replace"
            target = _string(rule.attrs.get("target_label", ""))
            if action == "replace" and target and not target.startswith("__"):
                labels.append(target)
            if action == "keep" and "__meta_kubernetes_namespace" in rule.attrs.get("source_labels", ""):
                kept.append(_string(rule.attrs.get("regex", "")))
        return labels, kept

    out = []
    for b in blocks:
        signal = ALLOY_WRITERS.get(b.kind)
        if not signal:
            continue
        name = f"{b.kind}.{b.label}"
        sources = upstream(name)
        labels: list[str] = []
        kept: list[str] = []
        for source in sources:
            for ref in [source] + _references(by_name[source].attrs.get("targets", "")) if source in by_name else []:
                if ref.startswith(("discovery.relabel", "loki.relabel", "prometheus.relabel")):
                    more, keep = relabel_labels(ref)
                    labels += more
                    kept += keep
        external = _map(b.attrs.get("external_labels", ""))
        labels = list(dict.fromkeys(labels)) + [f"{k}={v}" for k, v in sorted(external.items())]
        described = [
            f'{s.rsplit(".", 1)[0]} "{s.rsplit(".", 1)[1]}"'
            for s in sources
            if not s.startswith(("loki.relabel", "prometheus.relabel", "loki.process", "otelcol.processor"))
        ]
        if kept:
            described = [d + f" (namespace {', '.join(kept)})" for d in described]
        for endpoint in [e for e in b.blocks if e.kind in ("endpoint", "client")] or [b]:
            url = _string(endpoint.attrs.get("url", "")) or _string(endpoint.attrs.get("endpoint", ""))
            if not url:
                continue
            headers = _map(endpoint.attrs.get("headers", ""))
            header = next((h for h in headers if h.lower() in TENANT_HEADERS), "")
            tenant = _string(endpoint.attrs.get("tenant_id", "")) or headers.get(header, "")
            out.append(
                Shipment(
                    signal,
                    f'{b.kind} "{b.label}"',
                    url,
                    tenant,
                    (header or TENANT_ID_HEADER) if tenant else "",
                    labels,
                    described,
                )
            )
    return out


# -- chart values (YAML already parsed) ---------------------------------------------------
def _tenant(entry: dict[str, Any]) -> tuple[str, str]:
    headers = as_dict(entry.get("headers"))
    header = next((h for h in headers if str(h).lower() in TENANT_HEADERS), "")
    if header:
        return str(headers[header]), str(header)
    tenant = str(entry.get("tenant_id") or entry.get("tenantId") or "")
    return tenant, TENANT_ID_HEADER if tenant else ""


def values_shipments(values: Any, signal_hint: str = "") -> list[Shipment]:
    """Writers in a chart's values (or a YAML collector config): remoteWrite/remote_write
    lists (metrics, or logs for a log collector), Promtail `clients` (logs), Vector `sinks`;
    an Alloy configuration held in a string value is read as Alloy."""
    out: list[Shipment] = []
    for path, value in walk(values, "values"):
        key = path.rsplit(".", 1)[-1]
        if isinstance(value, str) and "\n" in value and _is_alloy(value):
            out += alloy_shipments(value)
        if not isinstance(value, list) and key != "sinks":
            continue
        if key in ("remoteWrite", "remote_write"):
            # a log collector's remote write (victoria-logs-collector) carries logs
            signal = "logs" if signal_hint == "logs" else "metrics"
        elif key == "clients":
            signal = "logs"
        elif key == "sinks" and isinstance(value, dict):
            for name, sink in value.items():
                if isinstance(sink, dict):
                    # an http(s) endpoint, or a vector-to-vector `address` (host:port)
                    url = str(sink.get("endpoint") or sink.get("uri") or sink.get("address") or "")
                    kind = str(sink.get("type") or "")
                    signal = "metrics" if "prometheus" in kind or "metrics" in kind else "logs"
                    tenant, header = _tenant(sink)
                    labels = sorted(str(k) for k in as_dict(sink.get("labels")))
                    listens = kind.endswith("_exporter")  # a scrape endpoint it serves, not a destination
                    if not listens and (url.startswith(("http://", "https://")) or _HOST_PORT.match(url)):
                        inputs = [str(i) for i in sink.get("inputs") or [] if isinstance(i, str)]
                        out.append(Shipment(signal, f"{path}.{name}", url, tenant, header, labels, inputs))
            continue
        else:
            continue
        for i, entry in enumerate(value):
            if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                tenant, header = _tenant(entry)
                external = as_dict(entry.get("external_labels"))
                out.append(
                    Shipment(
                        "logs" if _LOG_STORE.search(entry["url"]) else signal,
                        f"{path}[{i}]",
                        entry["url"],
                        tenant,
                        header,
                        [f"{k}={v}" for k, v in sorted(external.items())],
                    )
                )
    return out


def text_shipments(text: str) -> list[Shipment]:
    """Writers in a configuration file held in a ConfigMap key (Alloy only: YAML collector
    files are read through `values_shipments` by the caller that parsed them)."""
    return alloy_shipments(text) if _is_alloy(text) else []
