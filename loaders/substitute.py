"""Flux post-build variable substitution (kustomize-controller's `postBuild`).

Reproduces fluxcd/pkg/envsubst as kustomize-controller runs it, per object, on the
object's YAML text:

- only `${...}` is expanded (`$var` is left alone);
- `$$` is an escape for `$`, so `$${var}` yields a literal `${var}`;
- `${var}`; defaults `${var:-d}` / `${var:=d}` (unset or empty) and `${var-d}` /
  `${var=d}` (unset only), the default itself may hold `${...}`;
- case functions `${var^}`, `${var^^}`, `${var,}`, `${var,,}` and `${#var}`;
- an undefined variable without default becomes the empty string (Flux's default,
  non-strict mode) and is reported as unresolved.

A variable whose value comes from a Secret is never resolved: the reference stays
symbolic (`${var}`) in the output and the variable is reported as redacted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

VAR_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")
_IDENT = re.compile(r"[\w]+", re.UNICODE)
DISABLED_KEY = "kustomize.toolkit.fluxcd.io/substitute"


@dataclass(frozen=True)
class VarValue:
    value: str | None  # None when redacted
    origin: str  # e.g. "ConfigMap flux-system/cluster-vars", "inline", "Secret flux-system/x"
    redacted: bool = False


@dataclass
class Substitution:
    text: str
    used: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def _note(lst: list[str], name: str) -> None:
    if name not in lst:
        lst.append(name)


def _find_close(text: str, start: int) -> int:
    """Index of the `}` closing the `${` whose body starts at `start`, or -1."""
    depth, i = 1, start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def substitute(text: str, variables: dict[str, VarValue]) -> Substitution:
    result = Substitution(text="")
    result.text = _expand(text, variables, result)
    return result


def _expand(text: str, variables: dict[str, VarValue], res: Substitution) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "$":
            j = text.find("$", i)
            j = n if j == -1 else j
            out.append(text[i:j])
            i = j
            continue
        if text.startswith("$$", i):
            out.append("$")
            # `$${` is an escaped reference: emit it literally, do not expand
            if text.startswith("{", i + 2):
                close = _find_close(text, i + 3)
                end = n if close == -1 else close + 1
                out.append(text[i + 2 : end])
                i = end
            else:
                i += 2
            continue
        if text.startswith("${", i):
            close = _find_close(text, i + 2)
            if close == -1:
                out.append(text[i:])
                break
            out.append(_evaluate(text[i + 2 : close], text[i : close + 1], variables, res))
            i = close + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _lookup(name: str, variables: dict[str, VarValue], res: Substitution) -> tuple[bool, str | None]:
    """(is set, value); value None means redacted."""
    _note(res.used, name)
    var = variables.get(name)
    if var is None:
        return False, ""
    if var.redacted or var.value is None:
        _note(res.redacted, name)
        return True, None
    return True, var.value


def _evaluate(body: str, original: str, variables: dict[str, VarValue], res: Substitution) -> str:
    if body.startswith("#"):
        name = body[1:]
        if VAR_NAME.match(name):
            is_set, value = _lookup(name, variables, res)
            return original if value is None else str(len(value))
    m = _IDENT.match(body)
    if not m:
        _note(res.unsupported, original)
        return original
    name, rest = m.group(0), body[m.end() :]
    if rest == "":
        is_set, value = _lookup(name, variables, res)
        if value is None:
            return original
        if not is_set:
            _note(res.unresolved, name)
        return value
    for op in (":-", ":=", "-", "="):
        if rest.startswith(op):
            is_set, value = _lookup(name, variables, res)
            if value is None:
                return original
            use_default = (not is_set) or (op.startswith(":") and value == "")
            return _expand(rest[len(op) :], variables, res) if use_default else value
    case_ops: dict[str, Callable[[str], str]] = {
        "^^": str.upper,
        ",,": str.lower,
        "^": lambda s: s[:1].upper() + s[1:],
        ",": lambda s: s[:1].lower() + s[1:],
    }
    if rest in case_ops:
        is_set, value = _lookup(name, variables, res)
        if value is None:
            return original
        if not is_set:
            _note(res.unresolved, name)
        return case_ops[rest](value)
    _note(res.unsupported, original)
    return original


def referenced_variables(text: str) -> list[str]:
    """Names of the variables a text references through `${...}` (escapes excluded)."""
    res = Substitution(text="")
    _expand(text, {}, res)
    return res.used
