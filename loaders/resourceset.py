"""Flux Operator ResourceSets, expanded offline into the objects the operator generates.

A `ResourceSet` (fluxcd.controlplane.io/v1) renders `spec.resources` (each object as
YAML text) and `spec.resourcesTemplate` (a multi-document YAML string) once per input
set, with Go text/template delimiters `<<` `>>` and the input set as `inputs`. What is
reproduced here, as the operator's builder and input combiner do it:

- Input sets: `spec.inputs` (each gets `provider`: the ResourceSet itself), then the
  `ResourceSetInputProvider`s named or selected in `spec.inputsFrom` (same namespace as
  the ResourceSet; sorted by name). A `Static` provider exports one set: its
  `spec.defaultValues`, its `id` (the operator's is the Adler-32 checksum of the object's
  UID; offline kg uses the checksum of "namespace/name", and says so when a generated
  object uses it) and `provider`. Other provider types only know their inputs at run
  time: a warning, and expansion goes on with the known sets (`Flatten`) or stops
  (`Permute`, whose every combination needs every source).
- `spec.inputStrategy.name`: `Flatten` (default, concatenation) or `Permute` (cartesian
  product; each source's set under its normalized name, `id` = Adler-32 of
  "name=index/..."; more than 10,000 combinations is refused, as the operator does).
- Templates see the inputs as the operator's JSON decoding leaves them (numbers are
  float64), with `missingkey=error`; `resources` objects are templated as the YAML text
  sigs.k8s.io/yaml prints for them (sorted keys, 2-space indent), so `nindent` works.
- Objects: per resource, per input set; `fluxcd.controlplane.io/reconcile: disabled`
  excludes; deduplicated by group/kind/namespace/name (`resources` before
  `resourcesTemplate`, first wins); without inputs (no `inputs`, no `inputsFrom`) each
  resource renders once. `spec.steps` are built in order. The owner labels and
  `spec.commonMetadata` are set as the operator does when applying. No namespace is
  defaulted (the operator applies objects as written; a warning says so).

Differences, always with a warning: the operator fails the whole build on one bad
template or object; kg leaves that object out and expands the rest. Work is bounded
(objects, output size, evaluation steps). Nothing is ever evaluated as Python.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import itertools
import json
import math
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

import yaml

from .model import api_group, as_dict, meta
from .yamlio import load_documents

OPERATOR_GROUP = "fluxcd.controlplane.io"
OPERATOR_API_VERSION = f"{OPERATOR_GROUP}/v1"
RESOURCESET_KIND = "ResourceSet"
INPUT_PROVIDER_KIND = "ResourceSetInputProvider"
STATIC_PROVIDER_TYPE = "Static"
RECONCILE_ANNOTATION = f"{OPERATOR_GROUP}/reconcile"
OWNER_LABEL_GROUP = f"resourceset.{OPERATOR_GROUP}"

MAX_INPUT_SETS = 10_000  # the operator's own limit on permutations
MAX_OBJECTS = 10_000
MAX_OUTPUT_BYTES = 10 * 1024 * 1024  # all template output of one ResourceSet
MAX_STEPS = 5_000_000  # template evaluation steps of one ResourceSet
MAX_NESTING = 100  # parentheses and control blocks in one template
MAX_SEQUENCE = 100_000  # items a template function (until, repeat) may create
MAX_VALUE_NODES = 1_000_000  # items of one value (shared parts counted each time: cycles, doubling)
MAX_VALUE_DEPTH = 100

# Kinds applied without a namespace (anything named Cluster* is treated alike)
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "CustomResourceDefinition",
        "PriorityClass",
        "RuntimeClass",
        "IngressClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "CertificateSigningRequest",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "PodSecurityPolicy",
    }
)


@dataclass
class Expansion:
    """What one ResourceSet generates, with everything kg could not follow."""

    objects: list[dict[str, Any]]  # generated objects, in the operator's order
    warnings: list[str]  # each names the ResourceSet "namespace/name"
    inputs: list[dict[str, Any]]  # the combined input sets used
    depends_on: list[Any] = field(default_factory=list)  # spec.dependsOn, unchanged


def is_resourceset(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == RESOURCESET_KIND and api_group(obj) == OPERATOR_GROUP


def is_input_provider(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == INPUT_PROVIDER_KIND and api_group(obj) == OPERATOR_GROUP


def expand_resourceset(resourceset: dict[str, Any], providers: list[dict[str, Any]]) -> Expansion:
    """The objects `resourceset` generates. `providers`: every ResourceSetInputProvider
    object the repository renders (any namespace); the ones the ResourceSet references
    are selected here. Never raises on odd input: problems become warnings."""
    expander = _Expander(resourceset, providers)
    try:
        return expander.run()
    except _BudgetExceeded as exc:
        expander.warn(f"{exc}: expansion stopped, later objects are left out")
        return expander.result()
    except RecursionError:
        expander.warn("nested too deeply to expand: left out")
        return expander.result()


def render_template(text: str, inputs: dict[str, Any] | None) -> str:
    """Render one ResourceSet template (`<< >>` delimiters, `inputs` as data) as the
    operator would; raises TemplateError when the operator's render would fail."""
    try:
        return _Executor(_Budget(), _go_value(inputs or {})).run(_parse_template(text))
    except _BudgetExceeded as exc:
        raise TemplateError(str(exc)) from None


# --------------------------------------------------------------------------- expansion


class _BudgetExceeded(Exception):
    """The bounded work of one ResourceSet is used up."""


class _Budget:
    """The work one ResourceSet may take (read when created, so tests can lower the limits)."""

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.output_bytes = MAX_OUTPUT_BYTES

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise _BudgetExceeded(f"more than {MAX_STEPS:,} template evaluation steps")

    def spend(self, size: int) -> None:
        self.output_bytes -= size
        if self.output_bytes < 0:
            raise _BudgetExceeded(f"template output above {MAX_OUTPUT_BYTES:,} bytes")


@dataclass
class _Group:
    """One build of the operator: the top-level resources, or one of `spec.steps`."""

    label: str  # "" for the top level, else "step 'name'"
    resources: list[tuple[int, dict[str, Any]]]
    template: str


class _Expander:
    def __init__(self, resourceset: Any, providers: Any) -> None:
        self.rset: dict[str, Any] = resourceset if isinstance(resourceset, dict) else {}
        metadata = meta(self.rset)
        self.name = _as_text(metadata.get("name"))
        self.namespace = _as_text(metadata.get("namespace"))
        self.key = f"{self.namespace}/{self.name}"
        self.providers = [p for p in providers if is_input_provider(p)] if isinstance(providers, list) else []
        self.spec: dict[str, Any] = {}
        self.budget = _Budget()
        self.warnings: list[str] = []
        self.objects: list[dict[str, Any]] = []
        self.object_groups: dict[str, str] = {}  # object key -> label of the build that generated it
        self.inputs: list[dict[str, Any]] = []
        self.depends_on: list[Any] = []
        self.parsed: dict[str, list[Any] | TemplateError] = {}
        self.stand_in_ids: dict[str, str] = {}  # stand-in id -> "namespace/name" of its Static provider
        self.reported: set[str] = set()
        self.repeats: dict[tuple[str, str], list[int]] = {}  # (where, problem) -> [warning index, repeats]
        self.finished = False

    def warn(self, reason: str) -> None:
        message = f"ResourceSet {self.key}: {reason}"
        if message not in self.reported:
            self.reported.add(message)
            self.warnings.append(message)

    def problem(self, where: str, label: str, problem: str) -> None:
        """One warning per place and problem, however many input sets hit it."""
        seen = self.repeats.get((where, problem))
        if seen is not None:
            seen[1] += 1
            return
        self.repeats[(where, problem)] = [len(self.warnings), 0]
        self.warnings.append(f"ResourceSet {self.key}: {where}{f' ({label})' if label else ''}: {problem}")

    def result(self) -> Expansion:
        if not self.finished:
            self.finished = True
            self.finish_objects()
            for index, repeats in self.repeats.values():
                if repeats:
                    self.warnings[index] += f" (and for {repeats} more input set{'s' if repeats > 1 else ''})"
        return Expansion(self.objects, self.warnings, self.inputs, self.depends_on)

    def run(self) -> Expansion:
        if not is_resourceset(self.rset):
            self.warn("not a fluxcd.controlplane.io ResourceSet: nothing expanded")
            return self.result()
        if not self.name:
            self.warn("no metadata.name")
        spec = self.rset.get("spec")
        if not isinstance(spec, dict):
            self.warn("spec is missing or not a mapping: nothing expanded")
            return self.result()
        self.spec = spec
        depends_on = spec.get("dependsOn")
        if isinstance(depends_on, list):
            self.depends_on = depends_on
        elif depends_on is not None:
            self.warn(f"spec.dependsOn is a {_yaml_type(depends_on)}, not a list: ignored")

        combined = self.combine_inputs(spec)
        if combined is None:
            return self.result()
        self.inputs = combined
        has_inputs_from = isinstance(spec.get("inputsFrom"), list) and bool(spec["inputsFrom"])
        if has_inputs_from and not combined:
            return self.result()  # the operator reconciles an empty set
        for group in self.groups(spec):
            self.build(group, combined)
        return self.result()

    def emit(self, obj: dict[str, Any], group: _Group, keep_duplicate: bool = False) -> None:
        key = _object_key(obj)
        earlier = self.object_groups.get(key)
        if earlier is not None and not (keep_duplicate and earlier == group.label):
            self.warn(
                f"{_describe(obj)} of {group.label or 'spec.resources'} is already generated by"
                f" {earlier or 'spec.resources'} (the operator rejects the duplicate): left out"
            )
            return
        if len(self.objects) >= MAX_OBJECTS:
            raise _BudgetExceeded(f"more than {MAX_OBJECTS:,} generated objects")
        self.object_groups[key] = group.label
        self.objects.append(obj)

    # ----------------------------------------------------------------- inputs

    def combine_inputs(self, spec: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The input sets as the operator combines them; None when they cannot be known."""
        own_ref = {
            "apiVersion": OPERATOR_API_VERSION,
            "kind": RESOURCESET_KIND,
            "name": self.name,
            "namespace": self.namespace,
        }
        sources: list[tuple[str, list[dict[str, Any]] | None]] = [(self.name, self.inline_inputs(spec, own_ref))]
        sources.extend(self.provider_inputs(spec))

        strategy = spec.get("inputStrategy")
        strategy_name: Any = None
        if isinstance(strategy, dict):
            strategy_name = strategy.get("name")
        elif strategy is not None:
            self.warn(f"spec.inputStrategy is a {_yaml_type(strategy)}, not a mapping: Flatten assumed")
        if strategy_name in (None, "", "Flatten"):
            flat = [input_set for _, sets in sources if sets for input_set in sets]
            if len(flat) > MAX_INPUT_SETS:
                self.warn(f"{len(flat):,} input sets: only the first {MAX_INPUT_SETS:,} are expanded")
                flat = flat[:MAX_INPUT_SETS]
            return flat
        if strategy_name == "Permute":
            return self.permute(sources)
        self.warn(
            f"unknown spec.inputStrategy.name {strategy_name!r} (the operator supports Flatten and Permute):"
            " nothing expanded"
        )
        return None

    def inline_inputs(self, spec: dict[str, Any], own_ref: dict[str, str]) -> list[dict[str, Any]]:
        raw = spec.get("inputs")
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.warn(f"spec.inputs is a {_yaml_type(raw)}, not a list of input sets: left out")
            return []
        sets: list[dict[str, Any]] = []
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                self.warn(f"spec.inputs[{index}] is a {_yaml_type(item)}, not a mapping: left out")
                continue
            input_set = copy.deepcopy(item)
            input_set["provider"] = dict(own_ref)  # set by the operator on every input set
            sets.append(input_set)
        return sets

    def provider_inputs(self, spec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]] | None]]:
        """(provider name, its input sets or None when only known at run time), in the
        operator's order: referenced providers deduplicated and sorted by name."""
        refs = spec.get("inputsFrom")
        if refs is None:
            return []
        if not isinstance(refs, list):
            self.warn(f"spec.inputsFrom is a {_yaml_type(refs)}, not a list: ignored")
            return []
        selected: dict[tuple[str, str], dict[str, Any]] = {}
        unknown: list[tuple[str, list[dict[str, Any]] | None]] = []
        for index, ref in enumerate(refs):
            where = f"spec.inputsFrom[{index}]"
            if not isinstance(ref, dict):
                self.warn(f"{where} is a {_yaml_type(ref)}, not a reference: ignored")
                unknown.append(("", None))
                continue
            kind = ref.get("kind")
            if kind not in (None, "", INPUT_PROVIDER_KIND):
                self.warn(f"{where} refers to kind {kind!r}; only {INPUT_PROVIDER_KIND} provides inputs: ignored")
                unknown.append(("", None))
                continue
            name, selector = ref.get("name"), ref.get("selector")
            if isinstance(name, str) and name:
                found = [p for p in self.providers if _provider_key(p) == (self.namespace, name)]
                if not found:
                    self.warn(
                        f"{where}: {INPUT_PROVIDER_KIND} {self.namespace}/{name} is not in the repository, so"
                        " its inputs are unknown (the operator fails the build until it exists)"
                    )
                    unknown.append((name, None))
                    continue
                selected.setdefault((self.namespace, name), found[0])
            elif selector is not None:
                matches = _label_selector(selector)
                if matches is None:
                    self.warn(f"{where}: invalid label selector {selector!r} (the operator fails the build): ignored")
                    unknown.append(("", None))
                    continue
                chosen = [
                    p
                    for p in self.providers
                    if _provider_key(p)[0] == self.namespace and matches(_string_map(meta(p).get("labels")))
                ]
                if not chosen:
                    self.warn(
                        f"{where}: no {INPUT_PROVIDER_KIND} in namespace {self.namespace!r} of the repository"
                        " matches the selector"
                    )
                for provider in chosen:
                    selected.setdefault(_provider_key(provider), provider)
            else:
                self.warn(f"{where} has neither name nor selector (the operator rejects it): ignored")
                unknown.append(("", None))
        ordered = [(key[1], self.exported_inputs(selected[key])) for key in sorted(selected)]
        return ordered + unknown

    def exported_inputs(self, provider: dict[str, Any]) -> list[dict[str, Any]] | None:
        namespace, name = _provider_key(provider)
        spec = as_dict(provider.get("spec"))
        provider_type = spec.get("type")
        if provider_type != STATIC_PROVIDER_TYPE:
            self.warn(
                f"{INPUT_PROVIDER_KIND} {namespace}/{name} is of type {provider_type!r}: its inputs exist only"
                " at run time (the operator fetches them), so the objects generated from them are not expanded"
            )
            return None
        defaults = spec.get("defaultValues")
        if defaults is None:
            defaults = {}
        if not isinstance(defaults, dict):
            self.warn(
                f"{INPUT_PROVIDER_KIND} {namespace}/{name}: spec.defaultValues is a {_yaml_type(defaults)},"
                " not a mapping (the operator stalls it): it exports no inputs"
            )
            return []
        stand_in_id = str(zlib.adler32(f"{namespace}/{name}".encode()))
        self.stand_in_ids[stand_in_id] = f"{namespace}/{name}"
        input_set = copy.deepcopy(defaults)
        input_set["id"] = stand_in_id  # the operator's overrides any default `id`
        input_set["provider"] = {
            "apiVersion": OPERATOR_API_VERSION,
            "kind": INPUT_PROVIDER_KIND,
            "name": name,
            "namespace": namespace,
        }
        return [input_set]

    def permute(self, sources: list[tuple[str, list[dict[str, Any]] | None]]) -> list[dict[str, Any]] | None:
        if any(sets is None for _, sets in sources):
            self.warn(
                "inputStrategy Permute needs the input sets of every source, and some are only known at"
                " run time: nothing expanded"
            )
            return None
        factors: list[tuple[str, list[dict[str, Any]]]] = []
        total = 1
        for name, sets in sources:
            if not sets:
                continue  # the operator skips sources without inputs
            scope = _normalize_provider_name(name)
            if not scope:
                self.warn(
                    f"inputStrategy Permute: the name {name!r} normalizes to nothing (the operator fails):"
                    " nothing expanded"
                )
                return None
            total *= len(sets)
            if total > MAX_INPUT_SETS:
                self.warn(
                    f"inputStrategy Permute: more than {MAX_INPUT_SETS:,} permutations (the operator stalls"
                    " the ResourceSet): nothing expanded"
                )
                return None
            factors.append((scope, sets))
        permutations: list[dict[str, Any]] = []
        for choice in itertools.product(*(range(len(sets)) for _, sets in factors)):
            permutation: dict[str, Any] = {}
            id_parts = []
            for (scope, sets), index in zip(factors, choice):
                permutation[scope] = copy.deepcopy(sets[index])
                id_parts.append(f"{scope}={index}")
            permutation["id"] = str(zlib.adler32("/".join(id_parts).encode()))
            permutations.append(permutation)
        return permutations

    # ----------------------------------------------------------------- building

    def groups(self, spec: dict[str, Any]) -> list[_Group]:
        groups: list[_Group] = []
        top_level = ("resources" in spec and spec["resources"] is not None) or bool(spec.get("resourcesTemplate"))
        if top_level:
            groups.append(self.group("", spec, "spec."))
        steps = spec.get("steps")
        if steps is not None and not isinstance(steps, list):
            self.warn(f"spec.steps is a {_yaml_type(steps)}, not a list: ignored")
        elif steps:
            if top_level:
                self.warn(
                    "spec.steps is set with spec.resources/resourcesTemplate (the operator rejects the spec):"
                    " kg expands both"
                )
            for index, step in enumerate(steps):
                if not isinstance(step, dict):
                    self.warn(f"spec.steps[{index}] is a {_yaml_type(step)}, not a mapping: left out")
                    continue
                label = f"step {_as_text(step.get('name')) or index!r}"
                groups.append(self.group(label, step, f"spec.steps[{index}]."))
        return groups

    def group(self, label: str, holder: dict[str, Any], prefix: str) -> _Group:
        resources: list[tuple[int, dict[str, Any]]] = []
        raw = holder.get("resources")
        if raw is not None and not isinstance(raw, list):
            self.warn(f"{prefix}resources is a {_yaml_type(raw)}, not a list: left out")
        elif raw:
            for index, item in enumerate(raw):
                if isinstance(item, dict):
                    resources.append((index, item))
                else:
                    self.warn(f"{prefix}resources[{index}] is a {_yaml_type(item)}, not an object: left out")
        template = holder.get("resourcesTemplate")
        if template is not None and not isinstance(template, str):
            self.warn(f"{prefix}resourcesTemplate is a {_yaml_type(template)}, not a string: left out")
            template = ""
        return _Group(label, resources, template or "")

    def build(self, group: _Group, inputs: list[dict[str, Any]]) -> None:
        """One BuildResourceSet call: per resource and input set, then the template."""
        keys: set[str] = set()
        prefix = f"{group.label}: " if group.label else ""

        def add(obj: dict[str, Any], dedup: bool) -> None:
            key = _object_key(obj)
            if dedup and key in keys:
                return
            keys.add(key)
            self.emit(obj, group, keep_duplicate=not dedup)  # without inputs the operator keeps duplicates

        prepared = self.prepared_inputs(inputs)
        for index, item in group.resources:
            where = f"{prefix}resources[{index}]"
            problem = _value_problem(item)
            if problem:
                self.warn(f"{where} is {problem}: left out")
                continue
            try:
                text = _go_yaml(item)
            except (yaml.YAMLError, ValueError, TypeError) as exc:
                self.warn(f"{where} cannot be read as YAML ({exc}): left out")
                continue
            nodes = self.parse(text, where)
            if nodes is None:
                continue
            if not inputs:
                obj = self.render_object(nodes, {}, where, "")
                if obj is not None:
                    add(obj, dedup=False)  # without inputs the operator neither dedups nor excludes
                continue
            for label, data in prepared:
                obj = self.render_object(nodes, data, where, label)
                if obj is not None and not _disabled(obj):
                    add(obj, dedup=True)

        if group.template:
            where = f"{prefix}resourcesTemplate"
            nodes = self.parse(group.template, where)
            if nodes is not None:
                for label, data in prepared if inputs else [("", {})]:
                    for obj in self.render_documents(nodes, data, where, label):
                        if not _disabled(obj):
                            add(obj, dedup=True)

    def prepared_inputs(self, inputs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """Each input set as templates see it, converted once: the operator also shares one
        decoded map between the renders of an input set."""
        prepared = []
        for index, input_set in enumerate(inputs):
            label = _input_label(input_set, index)
            problem = _value_problem(input_set)
            if problem:
                self.warn(f"{label} is {problem}: left out")
                continue
            prepared.append((label, _go_value(input_set)))
        return prepared

    def parse(self, text: str, where: str) -> list[Any] | None:
        parsed = self.parsed.get(text)
        if parsed is None:
            try:
                parsed = _parse_template(text)
            except TemplateError as exc:
                parsed = exc
            self.parsed[text] = parsed
        if isinstance(parsed, TemplateError):
            self.warn(
                f"{where}: {_template_problem(parsed)}; the operator fails the whole build there, kg leaves this out"
            )
            return None
        return parsed

    def render(self, nodes: list[Any], data: dict[str, Any], where: str, label: str) -> str | None:
        try:
            text = _Executor(self.budget, data).run(nodes)
        except TemplateError as exc:
            self.problem(
                where, label, f"{_template_problem(exc)}; the operator fails the whole build there, kg leaves this out"
            )
            return None
        for stand_in, provider in self.stand_in_ids.items():
            if stand_in in text:
                self.warn(
                    f"{where} uses the id of Static {INPUT_PROVIDER_KIND} {provider}; the operator derives it"
                    " from the object's UID at run time, kg used a stand-in"
                )
        return text

    def render_object(self, nodes: list[Any], data: dict[str, Any], where: str, label: str) -> dict[str, Any] | None:
        text = self.render(nodes, data, where, label)
        if text is None:
            return None
        docs, problems = load_documents(text, where)
        if problems:
            self.problem(where, label, f"renders invalid YAML ({problems[0].reason}); kg leaves it out")
            return None
        doc = docs[0][1] if docs else None
        problem = _object_problem(doc)
        if problem:
            self.problem(where, label, f"renders {problem}; kg leaves it out")
            return None
        return doc

    def render_documents(self, nodes: list[Any], data: dict[str, Any], where: str, label: str) -> list[dict[str, Any]]:
        text = self.render(nodes, data, where, label)
        if text is None:
            return []
        docs, problems = load_documents(text, where)
        for problem in problems:
            self.problem(where, label, f"a document is invalid YAML ({problem.reason}); kg leaves it out")
        objects = []
        for _, doc in docs:
            if not isinstance(doc, dict):
                self.problem(where, label, f"a document is a {_yaml_type(doc)}, not an object; kg leaves it out")
            elif not _object_problem(doc):
                objects.append(doc)  # documents that are not Kubernetes objects are skipped, as the operator does
        return objects

    def finish_objects(self) -> None:
        """Metadata the operator sets when applying: owner labels, then commonMetadata."""
        common = self.spec.get("commonMetadata")
        if common is not None and not isinstance(common, dict):
            self.warn(f"spec.commonMetadata is a {_yaml_type(common)}, not a mapping: ignored")
            common = {}
        common = common or {}
        owner = {f"{OWNER_LABEL_GROUP}/name": self.name, f"{OWNER_LABEL_GROUP}/namespace": self.namespace}
        labels = _string_map(common.get("labels"))
        annotations = _string_map(common.get("annotations"))
        for obj in self.objects:
            metadata = obj["metadata"]
            obj_labels = as_dict(metadata.get("labels"))
            metadata["labels"] = {**obj_labels, **owner, **labels}
            if annotations:
                obj_annotations = as_dict(metadata.get("annotations"))
                metadata["annotations"] = {**obj_annotations, **annotations}
            kind = obj["kind"]
            if not metadata.get("namespace") and kind not in CLUSTER_SCOPED_KINDS and not kind.startswith("Cluster"):
                self.warn(
                    f"{_describe(obj)} has no metadata.namespace: the operator does not default it to the"
                    " ResourceSet's namespace, so kg leaves it without one"
                )


def _value_problem(value: Any, budget: _Budget | None = None) -> str:
    """Why a value is too large or too deep to print, copy or serialize ("" when it is
    fine). Shared parts count each time they appear, so cycles and repeated doubling are
    caught; with a budget every item visited is an evaluation step."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if budget is not None:
            budget.step()
        if nodes > MAX_VALUE_NODES:
            return f"a value of more than {MAX_VALUE_NODES:,} items"
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > MAX_VALUE_DEPTH:
            return f"a value nested deeper than {MAX_VALUE_DEPTH} levels"
        stack.extend((child, depth + 1) for child in children)
    return ""


def _provider_key(provider: dict[str, Any]) -> tuple[str, str]:
    metadata = meta(provider)
    return _as_text(metadata.get("namespace")), _as_text(metadata.get("name"))


def _normalize_provider_name(name: str) -> str:
    """The Permute key of a source, as the operator normalizes names for templates:
    lower case, spaces and punctuation to "_", other characters outside [a-z0-9] dropped,
    runs of "_" collapsed and trimmed."""
    kept = []
    for char in name.lower():
        if char.isspace() or unicodedata.category(char).startswith("P"):
            kept.append("_")
        elif "a" <= char <= "z" or "0" <= char <= "9":
            kept.append(char)
    return "_".join(word for word in "".join(kept).split("_") if word)


def _label_selector(selector: Any) -> Callable[[dict[str, str]], bool] | None:
    """A metav1.LabelSelector as a predicate; None when it is invalid."""
    if not isinstance(selector, dict):
        return None
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return None
    wanted = {str(k): _as_text(v) for k, v in match_labels.items()}
    requirements: list[tuple[str, str, set[str]]] = []  # (operator, key, values)
    for expression in expressions:
        if not isinstance(expression, dict) or not isinstance(expression.get("key"), str):
            return None
        key, operator, values = expression["key"], expression.get("operator"), expression.get("values") or []
        if not isinstance(values, list):
            return None
        allowed = {_as_text(v) for v in values}
        if (operator in ("In", "NotIn") and allowed) or (operator in ("Exists", "DoesNotExist") and not values):
            requirements.append((str(operator), key, allowed))
        else:
            return None

    def matches(labels: dict[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in wanted.items()) and all(
            _requirement_holds(operator, key, allowed, labels) for operator, key, allowed in requirements
        )

    return matches


def _requirement_holds(operator: str, key: str, allowed: set[str], labels: dict[str, str]) -> bool:
    if operator == "In":
        return labels.get(key) in allowed
    if operator == "NotIn":
        return labels.get(key) not in allowed
    if operator == "Exists":
        return key in labels
    return key not in labels  # DoesNotExist


def _object_problem(doc: Any) -> str:
    """Why a rendered document is not an object the operator can apply ("" when it is)."""
    if not isinstance(doc, dict):
        return "no object" if doc is None else f"a {_yaml_type(doc)}, not an object"
    too_large = _value_problem(doc)  # YAML aliases can make a small text a huge object
    if too_large:
        return too_large
    for key in ("apiVersion", "kind"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            return f"an object without {key}"
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        return f"a {doc['kind']} without metadata.name"
    if "namespace" in metadata and not isinstance(metadata["namespace"], (str, type(None))):
        return f"a {doc['kind']} whose metadata.namespace is a {_yaml_type(metadata['namespace'])}"
    return ""


def _object_key(obj: dict[str, Any]) -> str:
    """group/kind/namespace/name: the operator's identity (the version is left out)."""
    metadata = obj["metadata"]
    return "/".join((api_group(obj), obj["kind"], _as_text(metadata.get("namespace")), metadata["name"]))


def _describe(obj: dict[str, Any]) -> str:
    metadata = obj["metadata"]
    namespace = _as_text(metadata.get("namespace"))
    return f"{obj['kind']} {namespace + '/' if namespace else ''}{metadata['name']}"


def _disabled(obj: dict[str, Any]) -> bool:
    annotations = obj["metadata"].get("annotations")
    return isinstance(annotations, dict) and annotations.get(RECONCILE_ANNOTATION) == "disabled"


def _input_label(input_set: dict[str, Any], index: int) -> str:
    ident = input_set.get("id")
    if isinstance(ident, (str, int, float)) and not isinstance(ident, bool) and ident != "":
        return f"input set id {ident}"
    return f"input set {index + 1}"


def _template_problem(exc: TemplateError) -> str:
    if isinstance(exc, UnknownFunctionError):
        return f"uses the template function {exc.function!r}, which kg does not support (or which is not defined)"
    return f"template error: {exc}"


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _string_map(value: Any) -> dict[str, str]:
    return {str(k): _as_text(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "number"}.get(type(value), "value")


# --------------------------------------------------------------------------- Go data and YAML/JSON


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else "null" if key is None else str(key)


def _json_like(value: Any) -> Any:
    """A YAML-loaded value as the Kubernetes API stores it (JSON)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # encoding/json writes an integral float64 without a fraction: it reads back as an int
        return int(value) if value.is_integer() and abs(value) < 1e21 else value
    if isinstance(value, dict):
        return {_json_key(k): _json_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_like(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def _go_value(value: Any) -> Any:
    """An input value as templates see it after the operator's JSON decoding:
    every number is a float64."""
    value = _json_like(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {k: _go_value(v) for k, v in value.items()}
    return [_go_value(v) for v in value]


def _go_yaml_key_less(a: str, b: str) -> int:
    """yaml.v2's map key order (used by sigs.k8s.io/yaml): letters before digits,
    digit runs compared as numbers."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        letter_a, letter_b = ca.isalpha(), cb.isalpha()
        if letter_a and letter_b:
            return -1 if ca < cb else 1
        if letter_a or letter_b:
            return 1 if letter_a else -1
        number_a, number_b = 0, 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    number_a, number_b = 1, 1
                    break
                j -= 1
        end_a, end_b = i, i
        while end_a < len(a) and a[end_a].isdigit():
            number_a = number_a * 10 + int(a[end_a])
            end_a += 1
        while end_b < len(b) and b[end_b].isdigit():
            number_b = number_b * 10 + int(b[end_b])
            end_b += 1
        if number_a != number_b:
            return -1 if number_a < number_b else 1
        if end_a != end_b:
            return -1 if end_a < end_b else 1
        return -1 if ca < cb else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def _go_yaml_order(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _go_yaml_order(value[k]) for k in sorted(value, key=cmp_to_key(_go_yaml_key_less))}
    if isinstance(value, list):
        return [_go_yaml_order(v) for v in value]
    return value


class _GoYamlDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Prints YAML as Go's yaml.v2 does: literal blocks for multi-line strings, double
    quotes for strings that would read back as another type, no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_go_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if "\n" in value:
        style = "|"
    elif dumper.resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":  # type: ignore[no-untyped-call]
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_GoYamlDumper.add_representer(str, _represent_go_str)


def _go_yaml(value: Any) -> str:
    """sigs.k8s.io/yaml.Marshal: through JSON, then yaml.v2 (80 columns, 2 spaces)."""
    text = yaml.dump(
        _go_yaml_order(_json_like(value)),
        Dumper=_GoYamlDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
    )
    return text[:-4] if text.endswith("\n...\n") else text


def _go_float_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of |value| and the decimal point position."""
    decimal = Decimal(repr(abs(value))).normalize()
    _, digits, exponent = decimal.as_tuple()
    text = "".join(str(d) for d in digits)
    return text, len(text) + int(exponent)


def _go_float_v(value: float) -> str:
    """fmt's %v of a float64 (strconv 'g', shortest, exponent from 1e+06 and below 1e-04)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    digits, point = _go_float_digits(value)
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return sign + _plain_decimal(digits, point)


def _plain_decimal(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def _go_json_float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {_go_float_v(value)}")
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    sign = "-" if value < 0 else ""
    digits, point = _go_float_digits(value)
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exponent = point - 1
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent)}"
    return sign + _plain_decimal(digits, point)


_JSON_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _go_json(value: Any, indent: str | None = None, html_escape: bool = True, depth: int = 0) -> str:
    """encoding/json.Marshal (sorted keys, HTML-safe) or MarshalIndent."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_json_float(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        if html_escape:
            text = "".join(_JSON_HTML_ESCAPES.get(ch, ch) for ch in text)
        return text
    if isinstance(value, dict):
        items = [
            f"{_go_json(str(k), None, html_escape)}:{' ' if indent else ''}"
            f"{_go_json(value[k], indent, html_escape, depth + 1)}"
            for k in sorted(value)
        ]
        return _json_container("{", "}", items, indent, depth)
    if isinstance(value, list):
        return _json_container("[", "]", [_go_json(v, indent, html_escape, depth + 1) for v in value], indent, depth)
    return _go_json(str(value), indent, html_escape, depth)


def _json_container(open_: str, close: str, items: list[str], indent: str | None, depth: int) -> str:
    if not items:
        return open_ + close
    if indent is None:
        return open_ + ",".join(items) + close
    inner = "\n" + indent * (depth + 1)
    return open_ + inner + ("," + inner).join(items) + "\n" + indent * depth + close


def _from_go_json(value: Any) -> Any:
    """A decoded JSON value with float64 numbers, as Go's json.Unmarshal into any."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {k: _from_go_json(v) for k, v in value.items()}
    return [_from_go_json(v) for v in value]


# --------------------------------------------------------------------------- Go formatting


def _go_type(value: Any) -> str:
    if value is None:
        return "<nil>"
    return {
        bool: "bool",
        int: "int",
        float: "float64",
        str: "string",
        list: "[]interface {}",
        dict: "map[string]interface {}",
    }.get(type(value), type(value).__name__)


def _fmt_v(value: Any) -> str:
    """fmt's %v."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float_v(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(_fmt_v(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_fmt_v(value[k])}" for k in sorted(value, key=str)) + "]"
    return str(value)


def _strval(value: Any) -> str:
    """sprig's strval: strings as they are, anything else as %v."""
    return value if isinstance(value, str) else _fmt_v(value)


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def _go_quote(text: str) -> str:
    """strconv.Quote (%q)."""
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])")


def _go_sprintf(template: str, args: list[Any]) -> str:
    """fmt.Sprintf for the verbs templates use (v s d q t f e g x X o b c)."""
    out: list[str] = []
    position, next_arg = 0, 0
    for match in _VERB.finditer(template):
        out.append(template[position : match.start()])
        position = match.end()
        flags, width, precision, verb = match.groups()
        if int(width or 0) > MAX_SEQUENCE or int(precision or 0) > MAX_SEQUENCE:
            raise TemplateError("printf width or precision larger than kg allows")
        if verb == "%":
            out.append("%")
            continue
        if next_arg >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        text = _format_verb(verb, flags, precision, args[next_arg])
        next_arg += 1
        if width and len(text) < int(width):
            pad = int(width) - len(text)
            if "-" in flags:
                text += " " * pad
            elif "0" in flags and verb in "dfeEgGxXob" and text[:1] in "+-":
                text = text[0] + "0" * pad + text[1:]
            elif "0" in flags and verb in "dfeEgGxXob":
                text = "0" * pad + text
            else:
                text = " " * pad + text
        out.append(text)
    out.append(template[position:])
    if next_arg < len(args):
        extra = ", ".join(f"{_go_type(a)}={_fmt_v(a)}" for a in args[next_arg:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _format_verb(verb: str, flags: str, precision: str | None, arg: Any) -> str:
    def bad() -> str:
        return f"%!{verb}(<nil>)" if arg is None else f"%!{verb}({_go_type(arg)}={_fmt_v(arg)})"

    if verb == "v":
        return _fmt_v(arg)
    if isinstance(arg, list) and verb in "sdqxX":
        return "[" + " ".join(_format_verb(verb, flags, precision, a) for a in arg) + "]"
    is_int = isinstance(arg, int) and not isinstance(arg, bool)
    if verb == "s":
        if isinstance(arg, str):
            return arg[: int(precision)] if precision else arg
        return _fmt_v(arg) if isinstance(arg, dict) else bad()
    if verb == "q":
        if isinstance(arg, str):
            return _go_quote(arg)
        return "'" + chr(arg) + "'" if is_int and 0 <= arg < 0x110000 else bad()
    if verb == "t":
        return ("true" if arg else "false") if isinstance(arg, bool) else bad()
    if verb in "dobxXc":
        if verb in "xX" and isinstance(arg, str):
            text = arg.encode().hex()
            return text.upper() if verb == "X" else text
        if not is_int:
            return bad()
        sign = "-" if arg < 0 else "+" if "+" in flags else ""
        if verb == "c":
            return chr(arg) if 0 <= arg < 0x110000 else bad()
        body = str(abs(arg)) if verb == "d" else format(abs(arg), verb)
        return sign + body
    if verb in "feEgG":
        if not isinstance(arg, float):
            return bad()
        if verb in "gG" and precision is None:
            text = _go_float_v(arg)
            return text.upper() if verb == "G" else text
        digits = int(precision) if precision else (6 if precision is None else 0)
        text = format(arg, f".{digits}{verb.lower() if verb in 'fF' else verb}")
        return ("+" + text) if "+" in flags and arg >= 0 else text
    return f"%!{verb}({_go_type(arg)}={_fmt_v(arg)})"


# --------------------------------------------------------------------------- template lexer


class TemplateError(Exception):
    """A template Go's text/template would refuse to parse or fail to execute."""


class UnknownFunctionError(TemplateError):
    def __init__(self, function: str) -> None:
        super().__init__(f'function "{function}" not defined')
        self.function = function


_SPACE = " \t\r\n"
_LEFT, _RIGHT = "<<", ">>"
_KEYWORDS = frozenset({"if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"})
_NUMBER = re.compile(
    r"""[+-]?(?:
      0[xX](?:_?[0-9a-fA-F])*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?
    | 0[oO](?:_?[0-7])+
    | 0[bB](?:_?[01])+
    | (?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?
    )i?""",
    re.X,
)
_WORD = re.compile(r"\w+")
_CHAR = re.compile(r"'(?:[^\\'\n]|\\(?:[abfnrtv\\'\"]|[0-7]{3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}))'")
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_ESCAPE = re.compile(r"\\(?:([abfnrtv\\'\"])|([0-7]{3})|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # text left right space ident keyword field var dot string number char bool nil
    #            pipe lparen rparen declare assign comma eof
    value: Any
    line: int


def _unescape(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        simple, octal, hex2, hex4, hex8, bad = match.groups()
        if bad is not None:
            raise TemplateError(f"unknown escape sequence \\{bad}")
        if simple:
            return _SIMPLE_ESCAPES[simple]
        if octal:
            return chr(int(octal, 8))
        code = int(hex2 or hex4 or hex8, 16)
        if code > 0x10FFFF:
            raise TemplateError("escape sequence is invalid Unicode code point")
        return chr(code)

    return _ESCAPE.sub(replace, body)


def _lex(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position, trim_next = 0, False
    length = len(source)
    counted = [0, 1]  # newlines are counted once, up to the last position asked for

    def line_at(index: int) -> int:
        if index < counted[0]:
            return source.count("\n", 0, index) + 1
        counted[1] += source.count("\n", counted[0], index)
        counted[0] = index
        return counted[1]

    while True:
        start = source.find(_LEFT, position)
        text = source[position:] if start < 0 else source[position:start]
        trim_left = (
            start >= 0 and source.startswith("-", start + 2) and start + 3 < length and source[start + 3] in _SPACE
        )
        if trim_next:
            text = text.lstrip(_SPACE)
        if trim_left:
            text = text.rstrip(_SPACE)
        if text:
            tokens.append(_Token("text", text, line_at(position)))
        if start < 0:
            break
        position = start + (4 if trim_left else 2)
        if source.startswith("/*", position):  # a comment: nothing else may share its action
            end = source.find("*/", position + 2)
            if end < 0:
                raise TemplateError(f"line {line_at(start)}: unclosed comment")
            position = end + 2
            if source.startswith(_RIGHT, position):
                position, trim_next = position + 2, False
            elif position < length and source[position] in _SPACE and source.startswith("-" + _RIGHT, position + 1):
                position, trim_next = position + 4, True
            else:
                raise TemplateError(f"line {line_at(start)}: comment ends before closing delimiter")
            continue
        tokens.append(_Token("left", None, line_at(start)))
        position, trim_next = _lex_action(source, position, tokens, line_at(start))
    tokens.append(_Token("eof", None, line_at(length)))
    return tokens


def _lex_action(source: str, position: int, tokens: list[_Token], line: int) -> tuple[int, bool]:
    """Tokens of one action; returns the position after its right delimiter and
    whether that delimiter trims the following text."""
    depth = 0
    length = len(source)
    while True:
        if position >= length:
            raise TemplateError(f"line {line}: unclosed action")
        if source.startswith(_RIGHT, position):
            if depth:
                raise TemplateError(f"line {line}: unclosed left paren")
            tokens.append(_Token("right", None, line))
            return position + 2, False
        char = source[position]
        if char in _SPACE:
            while position < length and source[position] in _SPACE:
                if source.startswith("-" + _RIGHT, position + 1):
                    if depth:
                        raise TemplateError(f"line {line}: unclosed left paren")
                    tokens.append(_Token("right", None, line))
                    return position + 4, True
                line += source[position] == "\n"
                position += 1
            tokens.append(_Token("space", None, line))
            continue
        if char == "=":
            tokens.append(_Token("assign", None, line))
            position += 1
        elif char == ":":
            if not source.startswith(":=", position):
                raise TemplateError(f"line {line}: expected :=")
            tokens.append(_Token("declare", None, line))
            position += 2
        elif char == "|":
            tokens.append(_Token("pipe", None, line))
            position += 1
        elif char == ",":
            tokens.append(_Token("comma", None, line))
            position += 1
        elif char == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise TemplateError(f"line {line}: parentheses nested deeper than {MAX_NESTING}")
            tokens.append(_Token("lparen", None, line))
            position += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise TemplateError(f"line {line}: unexpected right paren")
            tokens.append(_Token("rparen", None, line))
            position += 1
        elif char == '"':
            match = _QUOTED.match(source, position)
            if not match:
                raise TemplateError(f"line {line}: unterminated quoted string")
            tokens.append(_Token("string", _unescape(match.group()[1:-1]), line))
            position = match.end()
        elif char == "`":
            end = source.find("`", position + 1)
            if end < 0:
                raise TemplateError(f"line {line}: unterminated raw quoted string")
            tokens.append(_Token("string", source[position + 1 : end], line))
            line += source.count("\n", position, end)
            position = end + 1
        elif char == "'":
            match = _CHAR.match(source, position)
            if not match:
                raise TemplateError(f"line {line}: unterminated character constant")
            tokens.append(_Token("char", ord(_unescape(match.group()[1:-1])), line))
            position = match.end()
        elif char == "$":
            match = _WORD.match(source, position + 1)
            name = "$" + (match.group() if match else "")
            tokens.append(_Token("var", name, line))
            position += len(name)
        elif char == "." and not (position + 1 < length and source[position + 1].isdigit()):
            match = _WORD.match(source, position + 1)
            if match:
                tokens.append(_Token("field", match.group(), line))
                position = match.end()
            else:
                tokens.append(_Token("dot", None, line))
                position += 1
        elif char.isdigit() or char in "+-.":
            match = _NUMBER.match(source, position)
            if not match or not match.group():
                raise TemplateError(f"line {line}: bad number syntax")
            tokens.append(_Token("number", match.group(), line))
            position = match.end()
        elif char.isalnum() or char == "_":
            word = _WORD.match(source, position).group()  # type: ignore[union-attr]
            if word in _KEYWORDS:
                tokens.append(_Token("keyword", word, line))
            elif word in ("true", "false"):
                tokens.append(_Token("bool", word == "true", line))
            elif word == "nil":
                tokens.append(_Token("nil", None, line))
            else:
                tokens.append(_Token("ident", word, line))
            position += len(word)
        else:
            raise TemplateError(f"line {line}: unrecognized character in action: {char!r}")


# --------------------------------------------------------------------------- template parser


@dataclass(slots=True)
class _Text:
    text: str


@dataclass(slots=True)
class _Pipe:
    decl: list[str]
    is_assign: bool
    cmds: list[_Command]
    line: int


@dataclass(slots=True)
class _Command:
    args: list[Any]


@dataclass(slots=True)
class _Action:
    pipe: _Pipe


@dataclass(slots=True)
class _Control:
    kind: str  # if with range
    pipe: _Pipe
    body: list[Any]
    else_body: list[Any] | None


@dataclass(slots=True)
class _LoopJump:
    kind: str  # break continue


@dataclass(slots=True)
class _Ident:
    name: str


@dataclass(slots=True)
class _Field:
    names: tuple[str, ...]


@dataclass(slots=True)
class _Var:
    name: str
    fields: tuple[str, ...]


@dataclass(slots=True)
class _Chain:
    node: Any
    fields: tuple[str, ...]


@dataclass(slots=True)
class _Dot:
    pass


@dataclass(slots=True)
class _Literal:
    value: Any
    kind: str  # string bool nil


@dataclass(slots=True)
class _Number:
    text: str
    int_value: int | None
    float_value: float
    is_float: bool  # how an untyped constant becomes an `any` argument


def _number(text: str) -> _Number:
    if text.endswith("i"):
        raise TemplateError(f"complex number {text} is not supported")
    clean = text.replace("_", "")
    sign = -1 if clean.startswith("-") else 1
    body = clean.lstrip("+-")
    lowered = body.lower()
    try:
        if lowered.startswith("0x"):
            if "." in lowered or "p" in lowered:
                value = sign * float.fromhex(body)
                return _Number(text, int(value) if value.is_integer() else None, value, True)
            number = sign * int(body[2:], 16)
        elif lowered.startswith(("0o", "0b")):
            number = sign * int(body, 0)
        elif "." in body or "e" in lowered:
            value = sign * float(body)
            return _Number(text, int(value) if value.is_integer() else None, value, True)
        elif len(body) > 1 and body.startswith("0"):
            number = sign * int(body, 8)
        else:
            number = sign * int(body)
    except (ValueError, OverflowError):
        raise TemplateError(f"illegal number syntax: {text}") from None
    if not -(2**63) <= number < 2**63:
        return _Number(text, None, float(number), False)
    return _Number(text, number, float(number), False)


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.scopes: list[list[str]] = [["$"]]
        self.depth = 0
        self.loops = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def next(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def peek_non_space(self) -> _Token:
        while self.tokens[self.index].kind == "space":
            self.index += 1
        return self.tokens[self.index]

    def next_non_space(self) -> _Token:
        self.peek_non_space()
        return self.next()

    def expect(self, kind: str, context: str) -> _Token:
        token = self.next_non_space()
        if token.kind != kind:
            raise TemplateError(f"line {token.line}: unexpected {_token_text(token)} in {context}")
        return token

    def parse(self) -> list[Any]:
        body, stop = self.item_list()
        if stop is not None:
            raise TemplateError(f"line {self.peek().line}: unexpected <<{stop}>>")
        return body

    def item_list(self) -> tuple[list[Any], str | None]:
        """Nodes up to `end` or `else` (returned as the stop word) or the end of the text."""
        nodes: list[Any] = []
        while True:
            token = self.next()
            if token.kind == "eof":
                return nodes, None
            if token.kind == "text":
                nodes.append(_Text(token.value))
                continue
            head = self.peek_non_space()
            if head.kind == "keyword" and head.value in ("end", "else"):
                self.next()
                if head.value == "end":
                    self.expect("right", "end")
                return nodes, head.value
            nodes.append(self.action())

    def action(self) -> Any:
        head = self.peek_non_space()
        if head.kind == "keyword":
            self.next()
            if head.value in ("if", "with", "range"):
                return self.control(head.value)
            if head.value in ("break", "continue"):
                if not self.loops:
                    raise TemplateError(f"line {head.line}: <<{head.value}>> outside <<range>>")
                self.expect("right", head.value)
                return _LoopJump(head.value)
            raise UnknownFunctionError(head.value)  # define/template/block: not supported here
        return _Action(self.pipeline("command", allow_decl=True))

    def control(self, kind: str) -> _Control:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise TemplateError(f"control structures nested deeper than {MAX_NESTING}")
        self.scopes.append([])
        pipe = self.pipeline(kind, allow_decl=True, two_vars=kind == "range")
        self.loops += kind == "range"
        body, stop = self.item_list()
        self.loops -= kind == "range"
        else_body: list[Any] | None = None
        if stop == "else":
            following = self.peek_non_space()
            if following.kind == "keyword" and following.value == kind and kind in ("if", "with"):
                self.next()
                else_body = [self.control(kind)]  # `else if`: the nested block shares the `end`
            else:
                self.expect("right", "else")
                else_body, stop = self.item_list()
                if stop != "end":
                    raise TemplateError(f"line {self.peek().line}: expected end; found {stop or 'EOF'}")
        elif stop is None:
            raise TemplateError(f"unexpected EOF in {kind}")
        self.scopes.pop()
        self.depth -= 1
        return _Control(kind, pipe, body, else_body)

    def pipeline(self, context: str, allow_decl: bool, two_vars: bool = False, in_paren: bool = False) -> _Pipe:
        line = self.peek_non_space().line
        decl: list[str] = []
        is_assign = False
        if allow_decl and self.peek_non_space().kind == "var":
            saved = self.index
            first = self.next()
            following = self.peek_non_space()
            if following.kind in ("declare", "assign"):
                self.next()
                decl, is_assign = [first.value], following.kind == "assign"
            elif following.kind == "comma" and two_vars:
                self.next()
                second = self.expect("var", "range declaration")
                operator = self.next_non_space()
                if operator.kind not in ("declare", "assign"):
                    raise TemplateError(f"line {operator.line}: expected := in range declaration")
                decl, is_assign = [first.value, second.value], operator.kind == "assign"
            else:
                self.index = saved
        for name in decl:
            if is_assign:
                self.check_variable(name, line)
            elif name == "$":
                raise TemplateError(f"line {line}: cannot declare $")
        end = "rparen" if in_paren else "right"
        cmds: list[_Command] = []
        while True:
            token = self.peek_non_space()
            if token.kind == end:
                self.next()
                break
            if token.kind == "eof":
                raise TemplateError(f"line {token.line}: unclosed action")
            cmds.append(self.command(end))
        if not cmds:
            raise TemplateError(f"line {line}: missing value for {context}")
        if not is_assign:
            self.scopes[-1].extend(decl)
        return _Pipe(decl, is_assign, cmds, line)

    def command(self, end: str) -> _Command:
        args: list[Any] = []
        while True:
            token = self.peek_non_space()
            if token.kind == end:
                break
            if token.kind == "pipe":
                self.next()
                if not args or self.peek_non_space().kind == end:
                    raise TemplateError(f"line {token.line}: missing command around |")
                break
            if token.kind in ("right", "rparen", "eof", "declare", "assign", "comma", "keyword"):
                raise TemplateError(f"line {token.line}: unexpected {_token_text(token)} in operand")
            args.append(self.operand())
        return _Command(args)

    def operand(self) -> Any:
        node = self.term()
        fields: list[str] = []
        while self.peek().kind == "field":  # a field right after a term (no space) chains onto it
            fields.append(self.next().value)
        if not fields:
            return node
        if isinstance(node, _Field):
            return _Field(node.names + tuple(fields))
        if isinstance(node, _Var):
            return _Var(node.name, node.fields + tuple(fields))
        if isinstance(node, (_Literal, _Number)):
            raise TemplateError(f"unexpected . after term {fields[0]!r}")
        return _Chain(node, tuple(fields))

    def term(self) -> Any:
        token = self.next_non_space()
        kind = token.kind
        if kind == "ident":
            if token.value != "inputs" and token.value not in _FUNCTIONS:
                raise UnknownFunctionError(token.value)
            return _Ident(token.value)
        if kind == "dot":
            return _Dot()
        if kind in ("nil", "bool", "string"):
            return _Literal(token.value, kind)
        if kind == "number":
            return _number(token.value)
        if kind == "char":
            return _Number(repr(chr(token.value)), token.value, float(token.value), False)
        if kind == "field":
            return _Field((token.value,))
        if kind == "var":
            self.check_variable(token.value, token.line)
            return _Var(token.value, ())
        if kind == "lparen":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise TemplateError(f"parentheses nested deeper than {MAX_NESTING}")
            pipe = self.pipeline("parenthesized pipeline", allow_decl=False, in_paren=True)
            self.depth -= 1
            return pipe
        raise TemplateError(f"line {token.line}: unexpected {_token_text(token)} in operand")

    def check_variable(self, name: str, line: int) -> None:
        if not any(name in scope for scope in self.scopes):
            raise TemplateError(f"line {line}: undefined variable {name!r}")


def _token_text(token: _Token) -> str:
    symbols = {
        "right": _RIGHT,
        "rparen": ")",
        "lparen": "(",
        "pipe": "|",
        "declare": ":=",
        "assign": "=",
        "comma": ",",
        "eof": "EOF",
        "dot": ".",
    }
    if token.kind in symbols:
        return f'"{symbols[token.kind]}"'
    return f"{token.kind} {token.value!r}"


def _parse_template(text: str) -> list[Any]:
    return _Parser(_lex(text)).parse()


# --------------------------------------------------------------------------- template execution


class _NoValue:
    """No pipeline value yet (distinct from nil)."""


_NO_VALUE = _NoValue()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def _truth(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return value != 0
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True


class _Executor:
    def __init__(self, budget: _Budget, inputs: dict[str, Any]) -> None:
        self.budget = budget
        self.inputs = inputs
        self.variables: list[tuple[str, Any]] = [("$", None)]  # the operator executes with nil data
        self.out: list[str] = []
        self.line = 0

    def run(self, nodes: list[Any]) -> str:
        try:
            self.walk(None, nodes)
        except TemplateError as exc:
            message = str(exc)
            if self.line and not message.startswith("line "):
                message = f"line {self.line}: {message}"  # where the failing action starts
            raise TemplateError(message) from None
        except (_Break, _Continue):
            raise TemplateError("break or continue outside range") from None
        return "".join(self.out)

    def write(self, text: str) -> None:
        self.budget.spend(len(text))
        self.out.append(text)

    def walk(self, dot: Any, nodes: list[Any]) -> None:
        for node in nodes:
            self.budget.step()
            if type(node) is _Text:
                self.write(node.text)
            elif type(node) is _Action:
                self.line = node.pipe.line
                value = self.eval_pipeline(dot, node.pipe)
                if not node.pipe.decl:
                    if isinstance(value, (list, dict)):
                        self.charge(value)
                    self.write("<no value>" if value is None else _fmt_v(value))
            elif type(node) is _Control:
                self.line = node.pipe.line
                if node.kind == "range":
                    self.walk_range(dot, node)
                else:
                    mark = len(self.variables)
                    value = self.eval_pipeline(dot, node.pipe)
                    if _truth(value):
                        self.walk(value if node.kind == "with" else dot, node.body)
                    elif node.else_body is not None:
                        self.walk(dot, node.else_body)
                    del self.variables[mark:]
            elif type(node) is _LoopJump:
                raise _Break() if node.kind == "break" else _Continue()

    def walk_range(self, dot: Any, node: _Control) -> None:
        mark = len(self.variables)
        value = self.eval_commands(dot, node.pipe)
        decl = node.pipe.decl
        items: Iterable[tuple[Any, Any]]
        if isinstance(value, list):
            items = list(enumerate(value))
        elif isinstance(value, dict):
            items = [(key, value[key]) for key in sorted(value)]  # Go visits map keys in sorted order
        elif isinstance(value, int) and not isinstance(value, bool):
            if len(decl) > 1:
                raise TemplateError(f"can't use {value} to iterate over more than one variable")
            items = ((i, i) for i in range(value))
        elif value is None:
            items = ()
        else:
            raise TemplateError(f"range can't iterate over {_fmt_v(value)}")
        iterated = False
        for key, element in items:
            iterated = True
            self.budget.step()
            del self.variables[mark:]
            bindings = [element] if len(decl) == 1 else [key, element] if len(decl) == 2 else []
            for name, bound in zip(decl, bindings):
                if node.pipe.is_assign:
                    self.set_variable(name, bound)
                else:
                    self.variables.append((name, bound))
            try:
                self.walk(element, node.body)
            except _Continue:
                continue
            except _Break:
                break
        del self.variables[mark:]
        if not iterated and node.else_body is not None:
            self.walk(dot, node.else_body)

    def eval_commands(self, dot: Any, pipe: _Pipe) -> Any:
        value: Any = _NO_VALUE
        for command in pipe.cmds:
            value = self.eval_command(dot, command, value)
        return value

    def eval_pipeline(self, dot: Any, pipe: _Pipe) -> Any:
        value = self.eval_commands(dot, pipe)
        for name in pipe.decl:
            if pipe.is_assign:
                self.set_variable(name, value)
            else:
                self.variables.append((name, value))
        return value

    def variable(self, name: str) -> Any:
        for bound_name, value in reversed(self.variables):
            if bound_name == name:
                return value
        raise TemplateError(f"undefined variable: {name}")

    def set_variable(self, name: str, value: Any) -> None:
        for index in range(len(self.variables) - 1, -1, -1):
            if self.variables[index][0] == name:
                self.variables[index] = (name, value)
                return
        raise TemplateError(f"undefined variable: {name}")

    def eval_command(self, dot: Any, command: _Command, final: Any) -> Any:
        first = command.args[0]
        kind = type(first)
        if kind is _Ident:
            return self.call(dot, first.name, command.args[1:], final)
        if kind is _Field:
            return self.eval_fields(dot, first.names, command.args, final)
        if kind is _Chain:
            return self.eval_fields(self.eval_arg(dot, first.node), first.fields, command.args, final)
        if kind is _Var:
            value = self.variable(first.name)
            if first.fields:
                return self.eval_fields(value, first.fields, command.args, final)
            self.not_a_function(command, final, first.name)
            return value
        if kind is _Literal and first.kind == "nil":
            raise TemplateError("nil is not a command")
        self.not_a_function(command, final, "operand")
        if kind is _Pipe:
            return self.eval_pipeline(dot, first)
        return self.eval_arg(dot, first)

    @staticmethod
    def not_a_function(command: _Command, final: Any, what: str) -> None:
        if len(command.args) > 1 or final is not _NO_VALUE:
            raise TemplateError(f"can't give argument to non-function {what}")

    def eval_fields(self, receiver: Any, names: tuple[str, ...], args: list[Any], final: Any) -> Any:
        for position, name in enumerate(names):
            has_args = position == len(names) - 1 and (len(args) > 1 or final is not _NO_VALUE)
            if isinstance(receiver, dict):
                if has_args:
                    raise TemplateError(f"{name} is not a method but has arguments")
                if name not in receiver:
                    raise TemplateError(f'map has no entry for key "{name}"')  # the operator sets missingkey=error
                receiver = receiver[name]
            elif receiver is None:
                raise TemplateError(f"nil pointer evaluating interface {{}}.{name}")
            else:
                raise TemplateError(f"can't evaluate field {name} in type {_go_type(receiver)}")
        return receiver

    def eval_arg(self, dot: Any, node: Any, kind: str = "any") -> Any:
        node_type = type(node)
        if node_type is _Number:
            return _number_as(node, kind)
        if node_type is _Literal:
            if node.kind == "nil":
                if kind in ("any", "map", "list"):
                    return None
                raise TemplateError(f"cannot assign nil to {_KIND_NAMES[kind]}")
            return _checked(node.value, kind)
        if node_type is _Dot:
            value = dot
        elif node_type is _Field:
            value = self.eval_fields(dot, node.names, [node], _NO_VALUE)
        elif node_type is _Var:
            value = self.variable(node.name)
            if node.fields:
                value = self.eval_fields(value, node.fields, [node], _NO_VALUE)
        elif node_type is _Chain:
            value = self.eval_fields(self.eval_arg(dot, node.node), node.fields, [node], _NO_VALUE)
        elif node_type is _Pipe:
            value = self.eval_pipeline(dot, node)
        elif node_type is _Ident:
            value = self.call(dot, node.name, [], _NO_VALUE)
        else:
            raise TemplateError(f"can't evaluate {node_type.__name__}")
        return _checked(value, kind)

    def call(self, dot: Any, name: str, arg_nodes: list[Any], final: Any) -> Any:
        self.budget.step()
        count = len(arg_nodes) + (final is not _NO_VALUE)
        if name == "inputs":
            if count:
                raise TemplateError(f"wrong number of args for inputs: want 0 got {count}")
            return self.inputs
        spec = _FUNCTIONS[name]
        fixed = len(spec.params)
        if count < fixed or (spec.variadic is None and count > fixed):
            want = f"at least {fixed}" if spec.variadic is not None else str(fixed)
            raise TemplateError(f"wrong number of args for {name}: want {want} got {count}")
        if name in ("and", "or"):  # evaluated lazily, as Go 1.18+ does
            value: Any = None
            for node in arg_nodes:
                value = self.eval_arg(dot, node)
                if _truth(value) == (name == "or"):
                    return value
            return final if final is not _NO_VALUE else value
        args = [self.eval_arg(dot, node, spec.kind(index)) for index, node in enumerate(arg_nodes)]
        if final is not _NO_VALUE:
            args.append(_checked(final, spec.kind(len(arg_nodes))))
        costly = name not in _CHEAP_FUNCTIONS
        if costly:
            for arg in args:
                if isinstance(arg, (list, dict)):
                    self.charge(arg)
        try:
            result = spec.impl(*args)
        except (TemplateError, _BudgetExceeded):
            raise
        except (
            ValueError,
            TypeError,
            KeyError,
            IndexError,
            AttributeError,
            OverflowError,
            ZeroDivisionError,
            re.error,
            UnicodeError,
            RecursionError,
        ) as exc:
            raise TemplateError(f"error calling {name}: {exc}") from None
        if isinstance(result, str) and len(result) > MAX_OUTPUT_BYTES:
            raise TemplateError(f"{name} returned more than {MAX_OUTPUT_BYTES:,} characters")
        if costly and isinstance(result, (list, dict)):
            self.charge(result)
        return result

    def charge(self, value: Any) -> None:
        """Count a value's items as evaluation steps; refuse values too large or deep."""
        problem = _value_problem(value, self.budget)
        if problem:
            raise TemplateError(f"{problem}, more than kg allows")


_KIND_NAMES = {
    "any": "interface {}",
    "string": "string",
    "int": "int",
    "bool": "bool",
    "map": "map[string]interface {}",
    "list": "[]interface {}",
    "float": "float64",
}


def _checked(value: Any, kind: str) -> Any:
    """A value passed to a typed Go parameter; Go refuses other types."""
    if kind == "any":
        return value
    ok = {
        "string": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "float": isinstance(value, float),
        "map": isinstance(value, dict) or value is None,
        "list": isinstance(value, list) or value is None,
    }[kind]
    if not ok:
        if value is None:
            raise TemplateError(f"invalid value; expected {_KIND_NAMES[kind]}")
        raise TemplateError(f"wrong type for value; expected {_KIND_NAMES[kind]}; got {_go_type(value)}")
    if kind == "map" and value is None:
        return {}
    return value


def _number_as(node: _Number, kind: str) -> Any:
    """An untyped number constant given to a parameter of `kind`."""
    if kind == "any":
        if not node.is_float and node.int_value is None:
            raise TemplateError(f"{node.text} overflows int")
        return node.float_value if node.is_float else node.int_value
    if kind == "int":
        if node.int_value is None:
            raise TemplateError(f"expected integer; found {node.text}")
        return node.int_value
    if kind == "float":
        return node.float_value
    raise TemplateError(f"expected {_KIND_NAMES[kind]}; found {node.text}")


# --------------------------------------------------------------------------- template functions


@dataclass(frozen=True)
class _Function:
    impl: Callable[..., Any]
    params: tuple[str, ...] = ()
    variadic: str | None = None

    def kind(self, index: int) -> str:
        return self.params[index] if index < len(self.params) else self.variadic or "any"


def _basic_kind(value: Any) -> str:
    if value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "complex"


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise TemplateError("missing argument for comparison")
    first_kind = _basic_kind(first)
    for other in others:
        other_kind = _basic_kind(other)
        if first_kind != other_kind:
            if first is not None and other is not None:
                raise TemplateError("incompatible types for comparison")
            continue
        if first_kind == "complex":
            raise TemplateError(f"non-comparable type {_fmt_v(first)}: {_go_type(first)}")
        if first == other:
            return True
    return False


def _lt(first: Any, second: Any) -> bool:
    first_kind, second_kind = _basic_kind(first), _basic_kind(second)
    if first_kind in ("invalid", "bool", "complex") or second_kind in ("invalid", "bool", "complex"):
        raise TemplateError("invalid type for comparison")
    if first_kind != second_kind:
        raise TemplateError("incompatible types for comparison")
    return bool(first < second)


def _go_len(value: Any) -> int:
    if value is None:
        raise TemplateError("len of nil pointer")
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (list, dict)):
        return len(value)
    raise TemplateError(f"len of type {_go_type(value)}")


def _go_index(item: Any, *keys: Any) -> Any:
    if item is None:
        raise TemplateError("index of untyped nil")
    for key in keys:
        if isinstance(item, (list, str)):
            if not isinstance(key, int) or isinstance(key, bool):
                raise TemplateError(f"cannot index slice/array with type {_go_type(key)}")
            sequence = item.encode() if isinstance(item, str) else item
            if not 0 <= key < len(sequence):
                raise TemplateError(f"index out of range: {key}")
            item = sequence[key]
        elif isinstance(item, dict):
            if not isinstance(key, str):
                raise TemplateError(f"value has type {_go_type(key)}; should be string")
            item = item.get(key)
        elif item is None:
            raise TemplateError("index of nil pointer")
        else:
            raise TemplateError(f"can't index item of type {_go_type(item)}")
    return item


def _go_slice(item: Any, *indexes: Any) -> Any:
    if not isinstance(item, (str, list)):
        raise TemplateError(f"can't slice item of type {_go_type(item)}")
    if len(indexes) > 2 or any(not isinstance(i, int) or isinstance(i, bool) for i in indexes):
        raise TemplateError("invalid slice indexes")
    start = indexes[0] if indexes else 0
    end = indexes[1] if len(indexes) > 1 else len(item)
    if not 0 <= start <= end <= len(item):
        raise TemplateError(f"index out of range: {start}:{end}")
    return item[start:end]


def _go_print(*args: Any) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out: list[str] = []
    previous_string = False
    for position, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if position and not is_string and not previous_string:
            out.append(" ")
        out.append(_fmt_v(arg))
        previous_string = is_string
    return "".join(out)


def _int64(number: int) -> int:
    """Go's int64 wrap-around."""
    return (number + 2**63) % 2**64 - 2**63


def _to_int(value: Any) -> int:
    """spf13/cast.ToInt as sprig's `int` uses it: 0 when it cannot convert."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _int64(int(value)) if math.isfinite(value) else -(2**63)
    if isinstance(value, str):
        head, point, tail = value.rpartition(".")
        return _go_parse_int(head if point and tail and set(tail) == {"0"} else value)  # "2.00" reads as 2
    return 0


def _go_parse_int(text: str) -> int:
    """strconv.ParseInt(text, 0, 64), 0 on error."""
    match = re.fullmatch(r"([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9]*)", text)
    if not match:
        return 0
    sign, body = match.groups()
    if "_" in body and body[:2].lower() not in ("0x", "0o", "0b"):
        return 0
    body = body.replace("_", "")
    if body[:2].lower() in ("0x", "0o", "0b"):
        number = int(body, 0)
    elif len(body) > 1 and body.startswith("0"):
        number = int(body, 8)
    else:
        number = int(body)
    number = -number if sign == "-" else number
    return number if -(2**63) <= number < 2**63 else 0


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace("_", "")) if value.strip() == value else 0.0
        except ValueError:
            return 0.0
    return 0.0


def _mul(first: Any, *others: Any) -> int:
    product = _to_int(first)
    for other in others:
        product = _int64(product * _to_int(other))
    return product


def _go_div(a: Any, b: Any) -> int:
    numerator, denominator = _to_int(a), _to_int(b)
    if denominator == 0:
        raise TemplateError("error calling div: runtime error: integer divide by zero")
    quotient = abs(numerator) // abs(denominator)
    return _int64(quotient if (numerator >= 0) == (denominator >= 0) else -quotient)


def _go_mod(a: Any, b: Any) -> int:
    numerator, denominator = _to_int(a), _to_int(b)
    if denominator == 0:
        raise TemplateError("error calling mod: runtime error: integer divide by zero")
    return numerator - denominator * _go_div(numerator, denominator)


def _until_step(start: int, stop: int, step: int) -> list[int]:
    if step == 0 or (step > 0 and start >= stop) or (step < 0 and start <= stop):
        return []
    count = max(0, math.ceil((stop - start) / step))
    if count > MAX_SEQUENCE:
        raise TemplateError(f"sequence of {count:,} items is larger than kg allows ({MAX_SEQUENCE:,})")
    return list(range(start, stop, step))


def _repeat(count: int, text: str) -> str:
    if count < 0:
        raise TemplateError("error calling repeat: strings: negative Repeat count")
    if count * len(text) > MAX_OUTPUT_BYTES:
        raise TemplateError("repeat result is larger than kg allows")
    return text * count


def _strslice(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_strval(v) for v in value if v is not None]
    return [] if value is None else [_strval(value)]


def _go_split(separator: str, text: str, limit: int = -1) -> list[str]:
    if separator == "":
        parts = list(text)
        if 0 < limit < len(parts):
            parts = parts[: limit - 1] + ["".join(parts[limit - 1 :])]
        return parts if limit != 0 else []
    if limit == 0:
        return []
    return text.split(separator, limit - 1) if limit > 0 else text.split(separator)


def _indent(spaces: int, text: str) -> str:
    if spaces * (text.count("\n") + 1) > MAX_OUTPUT_BYTES:
        raise TemplateError("indentation larger than kg allows")
    pad = " " * max(spaces, 0)
    return pad + text.replace("\n", "\n" + pad)


def _title(text: str) -> str:
    """strings.Title: upper-cases the first letter of each word."""
    out = []
    previous = " "
    for ch in text:
        if previous.isascii():
            separator = not (previous.isalnum() or previous == "_")
        else:
            separator = not (previous.isalpha() or previous.isdigit()) and previous.isspace()
        out.append(ch.upper() if separator else ch)
        previous = ch
    return "".join(out)


def _untitle(text: str) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).lower(), text)


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text))
    return [word for word in re.split(r"[\s_\-.]+", spaced) if word]


_SLUG_SUBSTITUTIONS = {
    '"': "",
    "'": "",
    "\u2019": "",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "&": "and",
    "@": "at",
}


def _slugify(text: str) -> str:
    """gosimple/slug.Make with the operator's settings (63 characters, smart truncation).
    Non-ASCII letters lose their accents; other non-ASCII characters are dropped (Go
    transliterates them)."""
    slug = "".join(_SLUG_SUBSTITUTIONS.get(ch, ch) for ch in text.strip())
    slug = "".join(ch for ch in unicodedata.normalize("NFKD", slug) if ch.isascii()).lower()
    slug = re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9\-_]", "-", slug)).strip("-_")
    if len(slug) > 63:
        cut = slug.rfind("-", 0, 64)
        slug = slug[:cut] if cut >= 0 else slug[:63]
    return slug


_RE2_UNSUPPORTED = re.compile(r"\\[1-9]|\(\?(?:[=!]|<[=!])")  # backreferences, lookaround
# Python's regular expressions backtrack where Go's RE2 runs in linear time: kg evaluates
# only patterns and texts whose worst case stays small
MAX_REGEX_TEXT = 1_000
MAX_REGEX_REPEATS = 3  # unbounded quantifiers (*, +, {n,}) in one pattern


def _may_backtrack_exponentially(pattern: str) -> bool:
    """Whether a repeated group holds a quantifier or an alternation (`(a+)+`, `(a|aa)*`),
    or the pattern has more than MAX_REGEX_REPEATS unbounded quantifiers."""
    groups: list[bool] = []  # per open group: holds a quantifier or `|`
    repeats = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":  # a character class: skip to its end
            index += 2 if pattern.startswith("[]", index) or pattern.startswith("[^]", index) else 1
            while index < len(pattern) and pattern[index] != "]":
                index += 2 if pattern[index] == "\\" else 1
        elif char == "(":
            groups.append(False)
            if pattern.startswith("(?", index):
                index += 1  # the `?` of a group flag is not a quantifier
        elif char == ")" and groups:
            risky = groups.pop()
            repeated = index + 1 < len(pattern) and pattern[index + 1] in "*+{"
            if risky and repeated:
                return True
            if groups:
                groups[-1] = groups[-1] or risky or repeated
        elif char in "*+?{|":
            repeats += char in "*+" or (char == "{" and re.match(r"\{\d*,\}", pattern[index:]) is not None)
            if groups:
                groups[-1] = True
        index += 1
    return repeats > MAX_REGEX_REPEATS


def _regex(pattern: str) -> re.Pattern[str]:
    if _RE2_UNSUPPORTED.search(pattern):
        raise TemplateError("error parsing regexp: invalid or unsupported Perl syntax")
    if _may_backtrack_exponentially(pattern):
        raise TemplateError(
            f"regular expression {pattern!r} could take Python exponential or polynomial time"
            " (a repeated group holding a quantifier or alternative, or many unbounded quantifiers):"
            " kg does not evaluate it"
        )
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise TemplateError(f"error parsing regexp: {exc}") from None


def _regex_matches(pattern: str, text: str) -> bool:
    if _RE2_UNSUPPORTED.search(pattern):
        return False  # sprig's regexMatch treats a bad pattern as no match
    try:
        compiled = _regex(pattern)
    except TemplateError as exc:
        if "kg does not evaluate" in str(exc):
            raise
        return False
    return compiled.search(_regex_text(text)) is not None


def _regex_text(text: str) -> str:
    if len(text) > MAX_REGEX_TEXT:
        raise TemplateError(f"kg matches regular expressions on at most {MAX_REGEX_TEXT:,} characters")
    return text


def _expand_go_replacement(template: str, match: re.Match[str]) -> str:
    """regexp.Expand: $1, ${1}, $name, ${name}, $$."""
    out: list[str] = []
    position = 0
    while position < len(template):
        char = template[position]
        if char != "$" or position + 1 >= len(template):
            out.append(char)
            position += 1
            continue
        if template[position + 1] == "$":
            out.append("$")
            position += 2
            continue
        braced = re.match(r"\{(\w+)\}", template[position + 1 :])
        plain = re.match(r"\w+", template[position + 1 :])
        found = braced or plain
        if not found:
            out.append("$")
            position += 1
            continue
        name = braced.group(1) if braced else plain.group()  # type: ignore[union-attr]
        position += 1 + found.end()
        try:
            group = match.group(int(name) if name.isdigit() else name)
        except IndexError:  # no such group: Go expands it to nothing
            group = None
        out.append(group or "")
    return "".join(out)


def _regex_replace(pattern: str, text: str, replacement: str) -> str:
    return _regex(pattern).sub(lambda m: _expand_go_replacement(replacement, m), _regex_text(text))


def _merge(destination: dict[str, Any], *sources: dict[str, Any], overwrite: bool = False) -> dict[str, Any]:
    for source in sources:
        for key, value in source.items():
            current = destination.get(key)
            if isinstance(current, dict) and isinstance(value, dict):
                _merge(current, value, overwrite=overwrite)
            elif key not in destination or not _truth(current) or (overwrite and _truth(value)):
                destination[key] = copy.deepcopy(value)
    return destination


def _dict(*pairs: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for index in range(0, len(pairs), 2):
        result[_strval(pairs[index])] = pairs[index + 1] if index + 1 < len(pairs) else ""
    return result


def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise TemplateError("dig needs at least three arguments")
    *keys, default, data = args
    if not isinstance(data, dict):
        raise TemplateError(f"dig needs a map, got {_go_type(data)}")
    for key in keys:
        if not isinstance(data, dict) or _strval(key) not in data:
            return default
        data = data[_strval(key)]
    return data


def _list_of(name: str, value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise TemplateError(f"Cannot find {name} on type {_go_type(value)}")


def _first(value: Any) -> Any:
    items = _list_of("first", value)
    return items[0] if items else None


def _last(value: Any) -> Any:
    items = _list_of("last", value)
    return items[-1] if items else None


def _uniq(value: Any) -> list[Any]:
    """Items in first-seen order, equal as Go's reflect.DeepEqual (same type, same value)."""
    out: list[Any] = []
    seen: set[tuple[str, str]] = set()
    for item in _list_of("uniq", value):
        key = (_go_type(item), json.dumps(item, sort_keys=True, default=str))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for value in lists:
        if not isinstance(value, list):
            raise TemplateError(f"Cannot concat type {_go_type(value)} as list")
        out.extend(value)
    return out


def _sort_alpha(value: Any) -> list[str]:
    return sorted(_strslice(value)) if isinstance(value, list) else [_strval(value)]


def _b64decode(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8", errors="replace")
    except (ValueError, TypeError) as exc:
        return f"illegal base64 data: {exc}"


def _from_json(text: str) -> Any:
    try:
        return _from_go_json(json.loads(text))
    except (ValueError, RecursionError):
        return None


def _to_yaml(value: Any) -> str:
    try:
        return _go_yaml(value)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return ""


def _to_json(value: Any, indent: str | None = None, html_escape: bool = True) -> str:
    try:
        return _go_json(value, indent, html_escape)
    except (ValueError, RecursionError):
        return ""


def _kind_of(value: Any) -> str:
    return {"invalid": "invalid", "bool": "bool", "int": "int", "float": "float64", "string": "string"}.get(
        _basic_kind(value), "map" if isinstance(value, dict) else "slice"
    )


def _ternary(if_true: Any, if_false: Any, condition: bool) -> Any:
    return if_true if condition else if_false


def _without(value: Any, *omit: Any) -> list[Any]:
    return [item for item in _list_of("without", value) if item not in omit]


# Functions whose work does not grow with their arguments: their values are not counted
_CHEAP_FUNCTIONS = frozenset(
    {
        "and",
        "or",
        "not",
        "len",
        "index",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "get",
        "hasKey",
        "default",
        "empty",
        "coalesce",
        "ternary",
        "first",
        "last",
        "dig",
        "kindOf",
        "kindIs",
        "typeOf",
        "typeIs",
        "unset",
    }
)
_A = ("any",)
_S = ("string",)
_FUNCTIONS: dict[str, _Function] = {
    # text/template builtins
    "and": _Function(lambda *a: a[-1], _A, "any"),
    "or": _Function(lambda *a: a[-1], _A, "any"),
    "not": _Function(lambda v: not _truth(v), _A),
    "len": _Function(_go_len, _A),
    "index": _Function(_go_index, _A, "any"),
    "slice": _Function(_go_slice, _A, "any"),
    "print": _Function(_go_print, (), "any"),
    "printf": _Function(lambda f, *a: _go_sprintf(f, list(a)), _S, "any"),
    "println": _Function(lambda *a: " ".join(_fmt_v(v) for v in a) + "\n", (), "any"),
    "eq": _Function(_eq, _A, "any"),
    "ne": _Function(lambda a, b: not _eq(a, b), ("any", "any")),
    "lt": _Function(_lt, ("any", "any")),
    "le": _Function(lambda a, b: _lt(a, b) or _eq(a, b), ("any", "any")),
    "gt": _Function(lambda a, b: not (_lt(a, b) or _eq(a, b)), ("any", "any")),
    "ge": _Function(lambda a, b: not _lt(a, b), ("any", "any")),
    # the operator's own
    "toYaml": _Function(_to_yaml, _A),
    "mustToYaml": _Function(_go_yaml, _A),
    "slugify": _Function(_slugify, _S),
    # slim-sprig: strings
    "trim": _Function(str.strip, _S),
    "trimAll": _Function(lambda cut, s: s.strip(cut), ("string", "string")),
    "trimPrefix": _Function(lambda p, s: s[len(p) :] if p and s.startswith(p) else s, ("string", "string")),
    "trimSuffix": _Function(lambda p, s: s[: -len(p)] if p and s.endswith(p) else s, ("string", "string")),
    "upper": _Function(str.upper, _S),
    "lower": _Function(str.lower, _S),
    "title": _Function(_title, _S),
    "untitle": _Function(_untitle, _S),
    "repeat": _Function(_repeat, ("int", "string")),
    "substr": _Function(
        lambda a, b, s: s[:b] if a < 0 else s[a:] if b < 0 or b > len(s) else s[a:b], ("int", "int", "string")
    ),
    "nospace": _Function(lambda s: "".join(s.split()), _S),
    "trunc": _Function(
        lambda c, s: s[len(s) + c :] if c < 0 and len(s) + c > 0 else s[:c] if 0 <= c < len(s) else s, ("int", "string")
    ),
    "abbrev": _Function(lambda w, s: s if w < 4 or len(s) <= w else s[: w - 3] + "...", ("int", "string")),
    "contains": _Function(lambda sub, s: sub in s, ("string", "string")),
    "hasPrefix": _Function(lambda p, s: s.startswith(p), ("string", "string")),
    "hasSuffix": _Function(lambda p, s: s.endswith(p), ("string", "string")),
    "quote": _Function(lambda *a: " ".join(_go_quote(_strval(v)) for v in a if v is not None), (), "any"),
    "squote": _Function(lambda *a: " ".join(f"'{_fmt_v(v)}'" for v in a if v is not None), (), "any"),
    "cat": _Function(lambda *a: " ".join(_strval(v) for v in a if v is not None), (), "any"),
    "indent": _Function(_indent, ("int", "string")),
    "nindent": _Function(lambda n, s: "\n" + _indent(n, s), ("int", "string")),
    "replace": _Function(lambda old, new, s: s.replace(old, new), ("string", "string", "string")),
    "plural": _Function(lambda one, many, n: one if n == 1 else many, ("string", "string", "int")),
    "snakecase": _Function(lambda s: "_".join(w.lower() for w in _words(s)), _S),
    "kebabcase": _Function(lambda s: "-".join(w.lower() for w in _words(s)), _S),
    "camelcase": _Function(lambda s: "".join(w[:1].upper() + w[1:] for w in re.split(r"[_\-\s]+", s) if w), _S),
    "toString": _Function(_strval, _A),
    "toStrings": _Function(_strslice, _A),
    "join": _Function(lambda sep, v: sep.join(_strslice(v)), ("string", "any")),
    "split": _Function(lambda sep, s: {f"_{i}": p for i, p in enumerate(_go_split(sep, s))}, ("string", "string")),
    "splitList": _Function(lambda sep, s: _go_split(sep, s), ("string", "string")),
    "splitn": _Function(
        lambda sep, n, s: {f"_{i}": p for i, p in enumerate(_go_split(sep, s, n))}, ("string", "int", "string")
    ),
    "sortAlpha": _Function(_sort_alpha, _A),
    "b64enc": _Function(lambda s: base64.b64encode(s.encode()).decode(), _S),
    "b64dec": _Function(_b64decode, _S),
    "sha256sum": _Function(lambda s: hashlib.sha256(s.encode()).hexdigest(), _S),
    "sha1sum": _Function(lambda s: hashlib.sha1(s.encode()).hexdigest(), _S),  # noqa: S324 - a checksum, as sprig
    "adler32sum": _Function(lambda s: str(zlib.adler32(s.encode())), _S),
    "regexMatch": _Function(_regex_matches, ("string", "string")),
    "regexFind": _Function(
        lambda r, s: m.group() if (m := _regex(r).search(_regex_text(s))) else "", ("string", "string")
    ),
    "regexFindAll": _Function(
        lambda r, s, n: [m.group() for m in _regex(r).finditer(_regex_text(s))][: n if n >= 0 else None],
        ("string", "string", "int"),
    ),
    "regexReplaceAll": _Function(_regex_replace, ("string", "string", "string")),
    "regexReplaceAllLiteral": _Function(
        lambda r, s, repl: _regex(r).sub(lambda _: repl, _regex_text(s)), ("string", "string", "string")
    ),
    # slim-sprig: defaults, encodings, conversions
    "default": _Function(lambda d, *given: d if not given or not _truth(given[0]) else given[0], _A, "any"),
    "empty": _Function(lambda v: not _truth(v), _A),
    "coalesce": _Function(lambda *a: next((v for v in a if _truth(v)), None), (), "any"),
    "all": _Function(lambda *a: all(_truth(v) for v in a), (), "any"),
    "any": _Function(lambda *a: any(_truth(v) for v in a), (), "any"),
    "ternary": _Function(_ternary, ("any", "any", "bool")),
    "toJson": _Function(_to_json, _A),
    "mustToJson": _Function(lambda v: _go_json(v), _A),
    "toPrettyJson": _Function(lambda v: _to_json(v, "  "), _A),
    "toRawJson": _Function(lambda v: _to_json(v, html_escape=False), _A),
    "fromJson": _Function(_from_json, _S),
    "atoi": _Function(lambda s: _go_parse_int(s.lstrip("+")) if re.fullmatch(r"[+-]?[0-9]+", s) else 0, _S),
    "int": _Function(_to_int, _A),
    "int64": _Function(_to_int, _A),
    "float64": _Function(_to_float, _A),
    "add": _Function(lambda *a: _int64(sum(_to_int(v) for v in a)), (), "any"),
    "add1": _Function(lambda v: _int64(_to_int(v) + 1), _A),
    "sub": _Function(lambda a, b: _int64(_to_int(a) - _to_int(b)), ("any", "any")),
    "mul": _Function(lambda a, *v: _mul(a, *v), _A, "any"),
    "div": _Function(_go_div, ("any", "any")),
    "mod": _Function(_go_mod, ("any", "any")),
    "max": _Function(lambda a, *v: max([_to_int(a), *(_to_int(x) for x in v)]), _A, "any"),
    "min": _Function(lambda a, *v: min([_to_int(a), *(_to_int(x) for x in v)]), _A, "any"),
    "floor": _Function(lambda v: float(math.floor(_to_float(v))), _A),
    "ceil": _Function(lambda v: float(math.ceil(_to_float(v))), _A),
    "until": _Function(lambda n: _until_step(0, n, 1 if n >= 0 else -1), ("int",)),
    "untilStep": _Function(_until_step, ("int", "int", "int")),
    # slim-sprig: lists
    "list": _Function(lambda *a: list(a), (), "any"),
    "first": _Function(_first, _A),
    "last": _Function(_last, _A),
    "rest": _Function(lambda v: _list_of("rest", v)[1:] if v else None, _A),
    "initial": _Function(lambda v: _list_of("initial", v)[:-1] if v else None, _A),
    "append": _Function(lambda v, x: [*_list_of("append", v), x], ("any", "any")),
    "push": _Function(lambda v, x: [*_list_of("push", v), x], ("any", "any")),
    "prepend": _Function(lambda v, x: [x, *_list_of("prepend", v)], ("any", "any")),
    "concat": _Function(_concat, (), "any"),
    "reverse": _Function(lambda v: list(reversed(_list_of("reverse", v))), _A),
    "uniq": _Function(_uniq, _A),
    "without": _Function(_without, _A, "any"),
    "has": _Function(lambda needle, hay: hay is not None and needle in _list_of("has", hay), ("any", "any")),
    "compact": _Function(lambda v: [x for x in _list_of("compact", v) if _truth(x)], _A),
    # slim-sprig: dictionaries (keys and values sorted: Go's order is random)
    "dict": _Function(_dict, (), "any"),
    "get": _Function(lambda d, k: d.get(k, ""), ("map", "string")),
    "set": _Function(lambda d, k, v: (d.__setitem__(k, v), d)[1], ("map", "string", "any")),
    "unset": _Function(lambda d, k: (d.pop(k, None), d)[1], ("map", "string")),
    "hasKey": _Function(lambda d, k: k in d, ("map", "string")),
    "pluck": _Function(lambda k, *ds: [d[k] for d in ds if k in d], _S, "map"),
    "keys": _Function(lambda *ds: sorted(k for d in ds for k in d), (), "map"),
    "values": _Function(lambda d: [d[k] for k in sorted(d)], ("map",)),
    "pick": _Function(lambda d, *ks: {k: d[k] for k in ks if k in d}, ("map",), "string"),
    "omit": _Function(lambda d, *ks: {k: v for k, v in d.items() if k not in ks}, ("map",), "string"),
    "merge": _Function(lambda d, *s: _merge(d, *s), ("map",), "map"),
    "mergeOverwrite": _Function(lambda d, *s: _merge(d, *s, overwrite=True), ("map",), "map"),
    "deepCopy": _Function(copy.deepcopy, _A),
    "dig": _Function(_dig, (), "any"),
    # slim-sprig: types
    "kindOf": _Function(_kind_of, _A),
    "kindIs": _Function(lambda k, v: _kind_of(v) == k, ("string", "any")),
    "typeOf": _Function(_go_type, _A),
    "typeIs": _Function(lambda t, v: _go_type(v) == t, ("string", "any")),
    "deepEqual": _Function(lambda a, b: a == b and type(a) is type(b), ("any", "any")),
}
