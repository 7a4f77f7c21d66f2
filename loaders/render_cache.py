"""The render cache: kustomize builds whose inputs did not change are not run again.

A build's key is a SHA-256 of everything that decides its output: the kustomization as
kg hands it to kustomize (the Flux CR's overlay applied, a generated one's file list),
the content of every file the build can read (every file of each folder it reaches, and
each file it names elsewhere: resources, components, patches, generator inputs), the path
built, the kustomize version and this module's format. Post-build substitution runs after
the build on every load (it is cheap), so its inputs need no place in the key: a changed
variable re-substitutes cached builds.

An entry is one gzip'd JSON file named by its key, holding the key and a digest of its
payload: an entry that cannot be read, or whose digest or key does not match, is a miss
(and is removed), never a wrong answer. Builds stopped by a limit are never stored. After
a load the oldest entries (by last use) go until the cache fits its size cap.

    KG_RENDER_CACHE      the folder (default: render-cache/ beside the graph file); `off`
                         disables the cache
    KG_RENDER_CACHE_MB   the size cap in MiB (default 512)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .model import LoadWarning

FORMAT = "kg-render-cache/2"  # 2: each object's text as kustomize printed it
DEFAULT_MAX_MB = 512
log = logging.getLogger("kg.load")


_versions: dict[tuple[str, ...], str] = {}
_versions_lock = threading.Lock()


def tool_version(command: tuple[str, ...], run: Callable[[list[str]], str]) -> str:
    """`kustomize version` (or kubectl's), once per process: a new kustomize builds
    differently. `run` runs it bounded (loaders/limits.py) and returns its output."""
    with _versions_lock:
        if command in _versions:
            return _versions[command]
    tool = list(command[:-1]) if command[-1] in ("build", "kustomize") else list(command)
    args = tool + (["version", "--client"] if tool[-1:] == ["kubectl"] else ["version"])
    found = " ".join(command) + " " + run(args).strip()
    with _versions_lock:
        _versions[command] = found
    return found


def default_max_bytes() -> int:
    try:
        return int(float(os.environ.get("KG_RENDER_CACHE_MB") or DEFAULT_MAX_MB) * 1024 * 1024)
    except ValueError:
        return DEFAULT_MAX_MB * 1024 * 1024


class RenderCache:
    """Builds on disk by key; thread-safe (the level's builds run in parallel)."""

    def __init__(self, folder: Path, max_bytes: int | None = None):
        self.folder = Path(folder)
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self.hits = 0
        self.misses = 0
        self.stored = 0
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json.gz"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored build, or None (absent, unreadable, or not the entry of this key)."""
        path = self._path(key)
        try:
            raw = gzip.decompress(path.read_bytes())
            header, _, payload = raw.partition(b"\n")
            meta = json.loads(header)
            if meta.get("format") != FORMAT or meta.get("key") != key:
                raise ValueError("not this entry")
            if hashlib.sha256(payload).hexdigest() != meta.get("sha256"):
                raise ValueError("damaged")
            entry = json.loads(payload)
            if not isinstance(entry, dict) or not isinstance(entry.get("objects"), list):
                raise ValueError("not a build")
        except FileNotFoundError:
            with self._lock:
                self.misses += 1
            return None
        except Exception as exc:  # noqa: BLE001 - a bad entry is a miss, whatever is wrong
            log.debug("render cache: entry %s unusable (%s): removed", path.name, type(exc).__name__)
            path.unlink(missing_ok=True)
            with self._lock:
                self.misses += 1
            return None
        try:
            os.utime(path)  # last use: pruning keeps what is used
        except OSError:
            pass
        with self._lock:
            self.hits += 1
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store a build; one that JSON cannot hold as it is (dates, non-string keys) is
        not stored, so a cached build always equals the one it stands for."""
        try:
            payload = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
            if json.loads(payload) != entry:
                return
            header = json.dumps({"format": FORMAT, "key": key, "sha256": hashlib.sha256(payload).hexdigest()})
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(gzip.compress(header.encode() + b"\n" + payload, compresslevel=3))
            os.replace(tmp, path)
            with self._lock:
                self.stored += 1
        except (OSError, TypeError, ValueError) as exc:
            log.debug("render cache: not stored (%s)", type(exc).__name__)

    def prune(self) -> int:
        """Remove the least recently used entries past the size cap; returns how many."""
        try:
            entries = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("*/*.json.gz")]
        except OSError:
            return 0
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "stored": self.stored}


def open_cache(folder: Path | None) -> RenderCache | None:
    """The cache in `folder`, KG_RENDER_CACHE overriding it; None when off or not given."""
    setting = os.environ.get("KG_RENDER_CACHE", "").strip()
    if setting.lower() in ("off", "0", "false", "no"):
        return None
    chosen = Path(setting) if setting else folder
    return RenderCache(chosen) if chosen is not None else None


def encode_build(
    objects: list[tuple[dict[str, Any], str, str]], warnings: list[LoadWarning], error: str, texts: list[str | None]
) -> dict[str, Any]:
    return {
        "objects": [[obj, file, gen] for obj, file, gen in objects],
        "texts": texts,
        "warnings": [[w.file, w.line, w.reason] for w in warnings],
        "error": error,
    }


def decode_build(
    entry: dict[str, Any],
) -> tuple[list[tuple[dict[str, Any], str, str]], list[LoadWarning], str, list[str | None]]:
    objects = [(obj, str(file), str(gen)) for obj, file, gen in entry["objects"]]
    warnings = [LoadWarning(str(file), line, str(reason)) for file, line, reason in entry.get("warnings") or []]
    return objects, warnings, str(entry.get("error") or ""), list(entry.get("texts") or [])
