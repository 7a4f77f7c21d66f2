"""Every query text kg runs lives in a .cypher file under cypher/ (the `kg.cypher`
package); this module is the one model and parser for all of them.

A file is a header of `// key: value` comment lines, then the statement:

    // question: where            ask/ questions (kg.questions.catalogue reads the keys)
    // order: cluster, name       a comma-separated list: items("order")
    // param name: what it means  a key may carry a name after a space: params()
    // Free text                  a header line that is not `key: value` is a note
    MATCH ...

cypher/browser/explore.cypher holds several statements, each starting with
`// query: ID`: sections() splits it into one CypherFile per query.

Placeholders are where kg fills something in, always a name from kg/schema.py (a label
or relationship type; labels cannot be query parameters in Cypher) or text generated
from the schema, never user input:

    {label}           required: templates (store/, embedded/, lookup/) do not run unfilled
    /*:{target}*/     optional, inside a comment: the file runs as is (Neo4j Browser,
                      any engine); filled, it becomes `:Label`

Values a user typed always travel as query parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from kg.schema import check_identifier

_REQUIRED = re.compile(r"(?<![$*])\{([a-z_]+)\}(?!\*/)")
_OPTIONAL = re.compile(r"/\*:\{([a-z_]+)\}\*/")
_KEY = re.compile(r"^([a-z][a-z_]*(?: [a-z_]+)?):\s*(.*)$")


@dataclass(frozen=True)
class HeaderLine:
    key: str  # "" for a note
    value: str  # the value, or the whole text of a note


@dataclass(frozen=True)
class CypherFile:
    path: str  # relative to cypher/, e.g. "ask/where.cypher" (sections: "FILE#id")
    text: str  # the whole text: it runs as is (after fill() for templates)
    header: tuple[HeaderLine, ...] = field(default=())

    # -- parsing -----------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, path: str = "<text>") -> CypherFile:
        header = []
        for line in text.splitlines():
            if not line.startswith("//"):
                break
            body = line[2:].strip()
            match = _KEY.match(body)
            header.append(HeaderLine(match.group(1), match.group(2).strip()) if match else HeaderLine("", body))
        return cls(path, text, tuple(header))

    # -- the header ----------------------------------------------------------------
    def values(self, key: str) -> list[str]:
        """Every value of a (repeatable) key, in order."""
        return [h.value for h in self.header if h.key == key]

    def value(self, key: str, default: str = "") -> str:
        found = self.values(key)
        return found[0] if found else default

    def items(self, key: str) -> list[str]:
        """A comma-separated value (`// order: a, b`), empty when absent."""
        return [v.strip() for v in self.value(key).split(",") if v.strip()]

    def params(self) -> dict[str, str]:
        """`// param NAME: text` lines, by NAME."""
        return {h.key[len("param ") :].strip(): h.value for h in self.header if h.key.startswith("param ")}

    def keys(self) -> list[str]:
        return [h.key for h in self.header if h.key]

    @property
    def body(self) -> str:
        """The statement without its header."""
        lines = self.text.splitlines()
        return "\n".join(lines[len(self.header) :]).strip()

    # -- placeholders ----------------------------------------------------------------
    @property
    def placeholders(self) -> set[str]:
        return set(_REQUIRED.findall(self.body))

    @property
    def optional_placeholders(self) -> set[str]:
        return set(_OPTIONAL.findall(self.body))

    def fill(self, generated: dict[str, str] | None = None, **names: str) -> str:
        """The text with its placeholders filled: `names` must be schema labels or
        relationship types; `generated` holds text kg built from the schema (the
        embedded engine's column lists). Every required placeholder must be filled."""
        values = {k: check_identifier(v) for k, v in names.items()} | dict(generated or {})
        unknown = set(values) - self.placeholders - self.optional_placeholders
        if unknown:
            raise ValueError(f"{self.path}: no placeholder {', '.join(sorted(unknown))}")
        missing = self.placeholders - set(values)
        if missing:
            raise ValueError(f"{self.path}: placeholder {', '.join(sorted(missing))} needs a value")
        text = _OPTIONAL.sub(lambda m: ":" + values[m.group(1)] if m.group(1) in values else m.group(0), self.text)
        return _REQUIRED.sub(lambda m: values[m.group(1)], text)

    # -- union parts -----------------------------------------------------------------
    def parts(self) -> tuple[list[str], bool]:
        """The statements of a top-level union and whether it removes duplicate rows
        (kg.run_cypher)."""
        return union_parts(self.text)

    def sections(self, marker: str = "query") -> list[CypherFile]:
        """The `// MARKER: id` sections of a file holding several statements; the text
        before the first is documentation."""
        found: list[tuple[str, list[str]]] = []
        for line in self.text.splitlines():
            match = _KEY.match(line[2:].strip()) if line.startswith("//") else None
            if match and match.group(1) == marker:
                found.append((match.group(2).strip(), [line]))
            elif found:
                found[-1][1].append(line)
        return [CypherFile.parse("\n".join(lines).strip(), f"{self.path}#{ident}") for ident, lines in found]


def union_parts(text: str) -> tuple[list[str], bool]:
    """Parts separated by an unindented line `UNION` or `UNION ALL` (a UNION inside
    `CALL { }` is indented and left to the engine), and whether duplicates go."""
    chunks: list[list[str]] = [[]]
    distinct = False
    for line in text.splitlines():
        separator = line.rstrip().upper()
        if separator in ("UNION", "UNION ALL"):
            distinct = distinct or separator == "UNION"
            chunks.append([])
        else:
            chunks[-1].append(line)
    return ["\n".join(c) for c in chunks], distinct


@cache
def _package() -> Any:
    """The `kg.cypher` package folder (looked up once: each lookup costs ~0.6 ms of start-up)."""
    return resources.files("kg.cypher")


@cache
def load(relative_path: str) -> CypherFile:
    """A .cypher file of the package, e.g. load("ask/where.cypher")."""
    text = _package().joinpath(relative_path).read_text(encoding="utf-8")
    return CypherFile.parse(text, relative_path)


def text(relative_path: str) -> str:
    """The text of a file that needs nothing filled in."""
    found = load(relative_path)
    if found.placeholders:
        raise ValueError(f"{relative_path} has placeholders to fill: {', '.join(sorted(found.placeholders))}")
    return found.text


def listing(folder: str) -> list[str]:
    """Names (without extension) of the .cypher files in a folder, sorted."""
    base = _package().joinpath(folder)
    return sorted(p.name[: -len(".cypher")] for p in base.iterdir() if p.name.endswith(".cypher"))
