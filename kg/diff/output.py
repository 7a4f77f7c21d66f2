"""A diff for its readers: markdown (a pull-request comment: a summary table per cluster,
what to look at first, then collapsible details), json (programs), table (a terminal, Rich).

Values shown are those the graph holds: never a Secret's data (Secret nodes hold key
names only) nor a variable from a Secret (redacted by compare)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from kg.diff.compare import CATEGORIES, Change, Diff, FieldChange

ACTIONS = ("added", "removed", "changed")
MAX_CELL = 160  # characters of one value in a table cell
MAX_IMPACT_ROWS = 25
MAX_LOOK_FIRST = (
    30  # lines of "look at these first" in markdown  # rows of an impact shown in markdown (json has them all)
)
MAX_COMMENT = 60000  # GitHub refuses comments past 65536 characters
# One marker the CI workflow finds its comment by (examples/ci/pr-diff.yml)
COMMENT_MARKER = "<!-- kg-diff -->"


@dataclass(frozen=True)
class Meta:
    base: str
    head: str
    repo: str
    policies_failed: tuple[str, ...] = ()


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, default=str)
    else:
        text = str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def describe_field(f: FieldChange) -> tuple[str, str, str]:
    """(field, before, after) in words."""
    if f.relationship:
        if f.before is None:
            return f.field, "-", "added" + (f" {_props(f.after)}" if f.after else "")
        if f.after is None:
            return f.field, "removed" + (f" (was {_props(f.before)})" if f.before else ""), "-"
        return f.field, _props(f.before), _props(f.after)
    if f.added or f.removed:
        return (
            f.field,
            "\n".join(f"- {_value(x)}" for x in f.removed) or "-",
            "\n".join(f"+ {_value(x)}" for x in f.added) or "-",
        )
    return f.field, _value(f.before), _value(f.after)


def _props(props: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in sorted((props or {}).items()))


def counts(diff: Diff, cluster: str) -> dict[str, dict[str, int]]:
    """action -> category -> number of changes (a change counts in each of its categories)."""
    table = {a: dict.fromkeys(CATEGORIES, 0) for a in ACTIONS}
    for change in diff.changes:
        if change.cluster == cluster:
            for category in change.categories:
                table[change.action][category] += 1
    for cycle in diff.cycles:
        if cycle.cluster == cluster:
            table["added"]["dependencies"] += 1
    return table


def headline(diff: Diff) -> str:
    if diff.empty:
        return "no change"
    by_action = {a: sum(1 for c in diff.changes if c.action == a) for a in ACTIONS}
    parts = [f"{n} {a}" for a, n in by_action.items() if n]
    if diff.cycles:
        parts.append(f"{len(diff.cycles)} dependsOn cycle{'s' if len(diff.cycles) > 1 else ''} introduced")
    clusters = diff.clusters()
    return f"{len(diff.changes)} object(s) changed in {len(clusters)} cluster(s): " + ", ".join(parts)


# -- json --------------------------------------------------------------------------------
def to_json(diff: Diff, meta: Meta) -> str:
    return json.dumps(
        {
            "base": meta.base,
            "head": meta.head,
            "repo": meta.repo,
            "changed": not diff.empty,
            "summary": headline(diff),
            "clusters": {cluster: counts(diff, cluster) for cluster in diff.clusters()},
            "look_first": [
                {"cluster": c.cluster, "object": c.title, "id": c.id, "why": c.look_first}
                for c in diff.changes
                if c.look_first
            ]
            + [
                {"cluster": c.cluster, "object": " -> ".join(c.members), "why": ["dependsOn cycle"]}
                for c in diff.cycles
            ],
            "changes": [c.as_dict() for c in diff.changes],
            "cycles": [c.as_dict() for c in diff.cycles],
            "policies_failed": list(meta.policies_failed),
            "impacts_skipped": diff.impacts_skipped,
        },
        indent=2,
        default=str,
    )


# -- markdown ----------------------------------------------------------------------------
def _md(text: str) -> str:
    """A table cell: pipes escaped, lines joined with <br>, markup characters kept literal."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\n", "<br>")


def _code(text: str) -> str:
    """A value as code in a table cell: a backtick cannot close it, a pipe cannot end the cell."""
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`" if text and text != "-" else "-"


def _change_line(change: Change) -> str:
    impact = f" — {change.impact.summary}" if change.impact else ""
    return f"**{change.action}** {_md(change.title)} (`{change.cluster}`){_md(impact)}"


def _details(change: Change) -> list[str]:
    summary = f"{change.action} {change.title}"
    if change.fields:
        names = list(dict.fromkeys(f.field for f in change.fields))
        summary += ": " + ", ".join(names[:4]) + (f" (+{len(names) - 4})" if len(names) > 4 else "")
    if change.impact:
        summary += f" — {change.impact.summary}"
    lines = ["<details>", f"<summary>{_md(summary)}</summary>", ""]
    if change.fields:
        lines += ["| field | before | after |", "|---|---|---|"]
        for f in change.fields:
            name, before, after = describe_field(f)
            lines.append(
                f"| {_md(name)} | {'<br>'.join(_code(x) for x in before.splitlines()) or '-'} | "
                f"{'<br>'.join(_code(x) for x in after.splitlines()) or '-'} |"
            )
        lines.append("")
    if change.impact and change.impact.rows:
        rows = change.impact.rows
        lines += ["Impact in the new graph:", "", "| impact | kind | namespace/name | reason |", "|---|---|---|---|"]
        for r in rows[:MAX_IMPACT_ROWS]:
            where = f"{r.namespace}/{r.name}" if r.namespace else r.name
            cluster = "" if r.cluster == change.cluster else f" ({r.cluster})"
            lines.append(f"| {r.impact} | {r.kind} | {_md(where + cluster)} | {_md(r.reason)} |")
        if len(rows) > MAX_IMPACT_ROWS:
            lines.append(f"| … | | | {len(rows) - MAX_IMPACT_ROWS} more rows (`--format json` lists them all) |")
        lines.append("")
    lines += ["</details>", ""]
    return lines


def to_markdown(diff: Diff, meta: Meta) -> str:
    lines = [COMMENT_MARKER, f"### kg diff: `{meta.base}` → `{meta.head}`", ""]
    if diff.empty:
        lines += ["No effective change to the rendered clusters.", ""]
        return "\n".join(lines)
    lines += [f"**{_md(headline(diff))}**", ""]
    if diff.impacts_skipped:
        lines += [f"_Impact left out for {diff.impacts_skipped} change(s) past `--impact-limit`._", ""]
    if meta.policies_failed:
        lines += [f"❌ `--fail-on` policies matched: {', '.join(meta.policies_failed)}", ""]
    first = [c for c in diff.changes if c.look_first]
    if first or diff.cycles:
        lines += ["#### Look at these first", ""]
        for c in first[:MAX_LOOK_FIRST]:
            lines.append(f"- {_change_line(c)}: {', '.join(c.look_first)}")
        if len(first) > MAX_LOOK_FIRST:
            lines.append(f"- … and {len(first) - MAX_LOOK_FIRST} more (in the details below)")
        for cycle in diff.cycles:
            lines.append(f"- **dependsOn cycle introduced** (`{cycle.cluster}`): {_md(' → '.join(cycle.members))}")
        lines.append("")
    for cluster in diff.clusters():
        table = counts(diff, cluster)
        used = [c for c in CATEGORIES if any(table[a][c] for a in ACTIONS)]
        lines += [f"#### Cluster `{cluster}`", "", "| | " + " | ".join(used) + " |", "|---" * (len(used) + 1) + "|"]
        for action in ACTIONS:
            if any(table[action][c] for c in used):
                lines.append(f"| {action} | " + " | ".join(str(table[action][c] or "") for c in used) + " |")
        lines.append("")
        for cycle in (c for c in diff.cycles if c.cluster == cluster):
            lines += [f"dependsOn cycle introduced: {_md(' → '.join(cycle.members))}", ""]
        for change in (c for c in diff.changes if c.cluster == cluster):
            lines += _details(change)
    text = "\n".join(lines)
    if len(text) > MAX_COMMENT:
        cut = text.rfind("\n<details>", 0, MAX_COMMENT - 200)
        text = text[: cut if cut > 0 else MAX_COMMENT - 200] + (
            "\n\n… cut to fit a comment: `kg diff --format json` has every change.\n"
        )
    return text


# -- table (a terminal) ---------------------------------------------------------------------
STYLES = {"added": "green", "removed": "red", "changed": "yellow"}


def renderables(diff: Diff, meta: Meta) -> list[RenderableType]:
    shown: list[RenderableType] = [Text(f"kg diff: {meta.base} -> {meta.head}", style="bold")]
    if diff.empty:
        return shown + [Text("no effective change")]
    shown.append(Text(headline(diff)))
    if diff.impacts_skipped:
        shown.append(Text(f"impact left out for {diff.impacts_skipped} change(s) past --impact-limit", style="dim"))
    if meta.policies_failed:
        shown.append(Text(f"--fail-on policies matched: {', '.join(meta.policies_failed)}", style="bold red"))
    first = [c for c in diff.changes if c.look_first]
    if first or diff.cycles:
        shown.append(Text("\nlook at these first", style="bold"))
        for c in first:
            shown.append(
                Text(f"  {c.action} {c.title} [{c.cluster}]: {', '.join(c.look_first)}", style=STYLES[c.action])
            )
        for cycle in diff.cycles:
            shown.append(Text(f"  dependsOn cycle [{cycle.cluster}]: {' -> '.join(cycle.members)}", style="red"))
    for cluster in diff.clusters():
        shown.append(Text(f"\ncluster {cluster}", style="bold"))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for column in ("", "object", "field", "before", "after"):
            table.add_column(column, overflow="fold")
        for change in (c for c in diff.changes if c.cluster == cluster):
            style = STYLES[change.action]
            fields: list[FieldChange | None] = list(change.fields) or [None]
            for i, f in enumerate(fields):
                name, before, after = describe_field(f) if f else ("", "", "")
                # Text: values are shown as they are, never read as Rich markup ("[volume:x]")
                table.add_row(
                    Text(change.action if i == 0 else "", style=style),
                    Text(change.title if i == 0 else ""),
                    Text(name),
                    Text(before),
                    Text(after),
                )
            if change.impact:
                table.add_row("", Text(f"  impact: {change.impact.summary}", style="dim"), "", "", "")
        shown.append(table)
    return shown


def print_table(console: Console, diff: Diff, meta: Meta) -> None:
    console.print(Group(*renderables(diff, meta)))
