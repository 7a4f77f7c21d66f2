"""The catalogue of `kg ask` questions: one .cypher file each under cypher/ask/, whose
header documents it (the keys: kg/questions/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kg import cypher_files
from kg.cypher_files import CypherFile


@dataclass
class Question:
    name: str
    summary: str
    params: dict[str, str]
    columns: list[str]
    evidence: str
    text: str
    file: CypherFile
    targets: list[str] = field(default_factory=list)
    single: bool = False
    shape: str = ""
    empty: str = ""
    order: list[str] = field(default_factory=list)
    per: list[str] = field(default_factory=list)
    least: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    # how a person reads it on a terminal (kg/questions/terminal.py); json/csv ignore them
    group: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    below: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def takes_target(self) -> bool:
        return "name" in self.params


QUESTION_KEYS = (
    "question", "summary", "evidence", "shape", "empty", "sets", "evidence segments",
    "columns", "order", "per", "least", "targets", "single", "group", "keep", "below",
)  # fmt: skip


def parse_question(name: str, file: CypherFile) -> Question:
    """A question from its file's header; header lines that are no question key are notes."""
    return Question(
        name=name,
        summary=file.value("summary"),
        params=file.params(),
        columns=file.items("columns"),
        evidence=file.value("evidence"),
        text=file.text,
        file=file,
        targets=file.items("targets"),
        single=file.value("single").lower() == "true",
        shape=file.value("shape"),
        empty=file.value("empty"),
        order=file.items("order"),
        per=file.items("per"),
        least=file.items("least"),
        segments=file.items("evidence segments"),
        group=file.items("group"),
        keep=file.items("keep"),
        below=file.items("below"),
        notes=[
            h.value if not h.key else f"{h.key}: {h.value}"
            for h in file.header
            if h.key not in QUESTION_KEYS and not h.key.startswith("param ")
        ],
    )


def catalogue() -> dict[str, Question]:
    return {name: parse_question(name, cypher_files.load(f"ask/{name}.cypher")) for name in cypher_files.listing("ask")}
