"""Helm charts for HelmReleases: where a chart comes from, which exact version a
constraint picks, and a disk cache so a chart is fetched once, ever.

The cache is keyed by source URL, chart name and exact version (by digest for OCI):

    <root>/http/<url-key>/index.yaml              the repository index last fetched
    <root>/http/<url-key>/<chart>-<version>.tgz   packaged charts, digest-checked
    <root>/oci/<url-key>/<sha256-hex>.tgz         OCI charts by manifest digest
    <root>/oci/<url-key>/tags.json                tag -> {digest, version} seen at pull
    <root>/local/<dir-digest>/<chart>/            path charts whose dependencies we built

HTTP repositories are read like source-controller does (index.yaml, then the chart's URL
from it); OCI charts are pulled with `helm pull`, which takes credentials from the user's
Helm registry and Docker configuration. kg never writes a credential anywhere.
Within one `ChartCache` (one load) each chart and each index is fetched at most once,
whatever the number of threads asking: per-key locks, results (and failures) memoized.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

# --------------------------------------------------------------------------- semver
_T = TypeVar("_T")

# Helm (and source-controller) pick chart versions with Masterminds/semver v3: the
# rules below follow its documented constraint syntax.

_VERSION = re.compile(
    r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()
    text: str = ""

    @staticmethod
    def parse(text: str) -> Version | None:
        """A version as Helm reads it (a leading `v` and missing minor/patch tolerated), or None."""
        m = _VERSION.match(str(text).strip())
        if not m:
            return None
        pre = tuple(m.group(4).split(".")) if m.group(4) else ()
        return Version(int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0), pre, str(text).strip())

    def key(self) -> tuple[Any, ...]:
        """Sort key with semver precedence: a pre-release sorts before its release;
        numeric identifiers compare as numbers and before alphanumeric ones."""
        if not self.pre:
            return (self.major, self.minor, self.patch, 1, ())
        ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0, ids)

    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)


_WILDCARDS = ("x", "X", "*")
_OPS = r"!=|>=|=>|<=|=<|~>|>|<|=|~|\^"
_CV = (
    r"v?([0-9xX*]+)(\.[0-9xX*]+)?(\.[0-9xX*]+)?"  # major, .minor, .patch (wildcards allowed)
    r"(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"  # -pre, +build
)
_FIND_CHECK = re.compile(rf"({_OPS})?\s*{_CV}")
_CV_PLAIN = r"v?[0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
_HYPHEN_RANGE = re.compile(rf"\s*({_CV_PLAIN})\s+-\s+({_CV_PLAIN})\s*")


@dataclass(frozen=True)
class _Check:
    """One comparison of a constraint. A missing or wildcard part makes it "dirty": it
    then stands for a range (`1.2` and `1.2.x` are `>=1.2.0 <1.3.0` under `=`)."""

    op: str
    con: Version
    minor_dirty: bool = False  # major given, minor (and patch) missing or wildcard
    patch_dirty: bool = False  # major.minor given, patch missing or wildcard
    dirty: bool = False

    @staticmethod
    def parse(op: str, major: str, minor: str | None, patch: str | None, pre: str | None) -> _Check:
        op = {"": "=", "=>": ">=", "=<": "<=", "~>": "~"}.get(op or "", op or "=")
        pre_ids = tuple(pre[1:].split(".")) if pre else ()
        minor = minor[1:] if minor else None
        patch = patch[1:] if patch else None
        if major in _WILDCARDS:
            return _Check(op, Version(0, 0, 0, pre_ids), dirty=True)
        if minor is None or minor in _WILDCARDS:
            return _Check(op, Version(int(major), 0, 0, pre_ids), minor_dirty=True, dirty=True)
        if patch is None or patch in _WILDCARDS:
            return _Check(op, Version(int(major), int(minor), 0, pre_ids), patch_dirty=True, dirty=True)
        return _Check(op, Version(int(major), int(minor), int(patch), pre_ids))

    def satisfied_by(self, v: Version, include_pre: bool) -> bool:
        if v.pre and not include_pre:
            return False
        k, c = v.key(), self.con
        op = self.op
        if op == "=" and self.dirty:
            op = "~"  # a wildcard equality is a tilde range
        if op == "=":
            return k == c.key()
        if op == "!=":
            if self.dirty:
                if c.major != v.major:
                    return True
                if self.minor_dirty:
                    return False
                if c.minor != v.minor:
                    return True
                return bool(v.pre or c.pre) and v.pre != c.pre
            return k != c.key()
        if op == ">":
            if not self.dirty:
                return k > c.key()
            if v.major != c.major:
                return v.major > c.major
            return False if self.minor_dirty else v.minor > c.minor
        if op == "<":
            return k < c.key()
        if op == ">=":
            return k >= c.key()
        if op == "<=":
            if not self.dirty:
                return k <= c.key()
            if v.major > c.major:
                return False
            return not (v.major == c.major and v.minor > c.minor and not self.minor_dirty)
        if op == "~":
            if k < c.key():
                return False
            if c.core() == (0, 0, 0) and not self.minor_dirty and not self.patch_dirty:
                return True
            return v.major == c.major and (v.minor == c.minor or self.minor_dirty)
        if op == "^":
            if k < c.key():
                return False
            if c.major > 0 or self.minor_dirty:
                return v.major == c.major
            if v.major > 0:
                return False
            if c.minor > 0 or self.patch_dirty:
                return v.minor == c.minor
            return v.minor == 0 and v.patch == c.patch
        return False


class Constraint:
    """A Helm chart version constraint (Masterminds/semver v3 syntax and semantics):
    `||` alternatives of comparisons separated by spaces or commas, hyphen ranges,
    wildcards, `~` and `^`. A pre-release version satisfies an alternative only when one
    of its comparisons names a pre-release (`>=1.0.0-0`)."""

    def __init__(self, text: str) -> None:
        self.text = str(text)
        rewritten = _HYPHEN_RANGE.sub(lambda m: f" >= {m.group(1)}, <= {m.group(2)} ", self.text)
        self.alternatives: list[tuple[list[_Check], bool]] = []
        for group in rewritten.split("||"):
            checks = [_Check.parse(*m.groups()) for m in _FIND_CHECK.finditer(group)]
            leftover = _FIND_CHECK.sub("", group)
            if not checks or leftover.replace(",", "").strip():
                raise ValueError(f"invalid version constraint {self.text!r}")
            self.alternatives.append((checks, any(c.con.pre for c in checks)))

    def check(self, v: Version) -> bool:
        return any(all(c.satisfied_by(v, include_pre) for c in checks) for checks, include_pre in self.alternatives)


def is_exact_version(text: str) -> bool:
    """Whether a version field names one full version (no operator, range or wildcard)."""
    return bool(re.fullmatch(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?", str(text).strip()))


def pick_version(constraint: str, versions: Iterable[str]) -> str | None:
    """The version Helm's repository index lookup picks: an exact string match first,
    else the highest version satisfying the constraint (`*` when empty); versions that
    are not semver are skipped. Raises ValueError for an invalid constraint."""
    available = list(versions)
    text = str(constraint or "").strip()
    if text and text in available:
        return text
    check = Constraint(text or "*")
    parsed = [(v, Version.parse(v)) for v in available]
    candidates = sorted(((p.key(), v) for v, p in parsed if p is not None and check.check(p)), reverse=True)
    return candidates[0][1] if candidates else None


# --------------------------------------------------------------------------- sources

MAX_DOWNLOAD_BYTES = 512 * 2**20  # an index or chart larger than this is refused
# chart names and versions name files in the cache: no separators, no `..`
_SAFE_NAME = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._+-]*$")
# how Go's net package says a host cannot be reached (as opposed to "not found", "denied")
_NETWORK_DOWN = re.compile(
    r"no such host|connection refused|i/o timeout|network is unreachable|no route to host|TLS handshake timeout"
    r"|context deadline exceeded|server misbehaving"
)
DIGEST = re.compile(r"^sha(256|384|512):[0-9a-f]{64,128}$")


@dataclass(frozen=True)
class ChartSource:
    """What one release asks for, from the Flux source objects, before any fetch."""

    kind: str  # "http" | "oci" | "local"
    url: str  # repository URL (http), oci://host/path/chart (oci), local folder (local)
    chart: str  # chart name (http); the last URL part (oci); folder name (local)
    version: str = ""  # constraint (http, oci semver) or exact tag (oci)
    digest: str = ""  # OCI manifest digest pinned by the source
    semver: bool = True  # oci: `version` is a constraint to resolve against tags
    insecure: bool = False  # oci: plain HTTP registry
    source: str = ""  # "Kind/namespace/name" of the Flux object, for messages
    values_files: tuple[str, ...] = ()  # chart-relative values files (HelmChart valuesFiles)

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.url, self.chart, self.version, self.digest, str(self.semver))


@dataclass
class FetchedChart:
    """A chart on disk, ready for `helm template`."""

    path: Path  # a .tgz or a chart folder
    name: str
    version: str
    digest: str  # sha256 of the .tgz, the OCI manifest digest, or of a folder's content
    url: str  # where it came from
    cached: bool  # served from the cache without any fetch in this load


class ChartError(Exception):
    """Why a chart could not be had; the renderer turns it into a release's `error`."""


# --------------------------------------------------------------------------- helpers


def url_key(url: str) -> str:
    """A readable, collision-safe folder name for a source URL."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", re.sub(r"^[a-z]+://", "", url)).strip("_")[:60]
    return f"{slug}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def chart_metadata(chart: Path) -> dict[str, Any]:
    """Chart.yaml of a .tgz (its top folder) or of a chart folder; {} when unreadable."""
    try:
        if chart.is_dir():
            data = (chart / "Chart.yaml").read_text(encoding="utf-8")
        else:
            with tarfile.open(chart, "r:gz") as tar:
                member = next(
                    (m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")), None
                )
                if member is None:
                    return {}
                extracted = tar.extractfile(member)
                data = extracted.read().decode("utf-8") if extracted else ""
        meta = yaml.safe_load(data)
        return meta if isinstance(meta, dict) else {}
    except (OSError, tarfile.TarError, yaml.YAMLError, UnicodeDecodeError, EOFError):
        return {}


def read_chart_file(chart: Path, rel: str) -> str | None:
    """A file of a chart (.tgz or folder) by chart-relative path, or None."""
    while rel.startswith("./"):
        rel = rel[2:]
    try:
        if chart.is_dir():
            target = (chart / rel).resolve()
            if chart.resolve() not in target.parents or not target.is_file():
                return None
            return target.read_text(encoding="utf-8")
        with tarfile.open(chart, "r:gz") as tar:
            for member in tar.getmembers():
                if member.isfile() and member.name.split("/", 1)[-1] == rel:
                    extracted = tar.extractfile(member)
                    return extracted.read().decode("utf-8") if extracted else None
    except (OSError, tarfile.TarError, UnicodeDecodeError, EOFError):
        return None
    return None


def dir_digest(folder: Path) -> str:
    """Content digest of a chart folder (relative paths and bytes, sorted): a local chart
    changes key when any of its files does."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            continue
        h.update(b"\0")
    return "sha256:" + h.hexdigest()


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _helm_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "helm"


def repository_credentials(url: str) -> tuple[str, str] | None:
    """Basic-auth credentials the user gave Helm for this repository URL (`helm repo add
    --username`), read from Helm's repositories.yaml; kg stores none of its own."""
    config = Path(
        os.environ.get("HELM_REPOSITORY_CONFIG")
        or Path(os.environ.get("HELM_CONFIG_HOME") or _helm_home()) / "repositories.yaml"
    )
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    for entry in data.get("repositories") or [] if isinstance(data, dict) else []:
        if isinstance(entry, dict) and str(entry.get("url") or "").rstrip("/") == url.rstrip("/"):
            if entry.get("username"):
                return str(entry["username"]), str(entry.get("password") or "")
    return None


def helm_error_line(text: str) -> str:
    """Helm's (or kustomize's) error in one readable line: its last `Error:` line without
    the prefix, else the last lines of output; usage hints dropped."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip() and not line.startswith('Use "helm')]
    error_lines = [line for line in lines if line.startswith("Error:")]
    line = (error_lines[-1] if error_lines else " ".join(lines[-3:])) if lines else "failed without a message"
    return _short(line.removeprefix("Error: "), 500)


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


def run_command(
    cmd: list[str], timeout: float | None, env: dict[str, str] | None = None, cwd: str | None = None
) -> CommandResult:
    """Run helm/kustomize bounded like every child process of kg (loaders/limits.py: its
    own process group killed on timeout, the KG_BUILD_MEMORY_MB data limit). Raises
    TimeoutError when a limit stopped it, OSError when it cannot start."""
    try:
        from .limits import BuildLimits, run_bounded
    except ImportError:  # an older tree without limits.py: a plain bounded run
        return _run_with_timeout(cmd, timeout, env, cwd)
    limits, _ = BuildLimits.from_env()
    run = run_bounded(cmd, cwd, timeout, limits.memory_mb, env=env)
    if run.limit_hit is not None:
        raise TimeoutError(f"{os.path.basename(cmd[0])} {cmd[1] if len(cmd) > 1 else ''} {run.limit_hit}")
    if run.interrupted:
        raise KeyboardInterrupt
    return CommandResult(run.returncode, run.stdout, run.stderr)


def _run_with_timeout(
    cmd: list[str], timeout: float | None, env: dict[str, str] | None, cwd: str | None
) -> CommandResult:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            proc.kill()
        proc.communicate()
        raise TimeoutError(
            f"{os.path.basename(cmd[0])} {cmd[1] if len(cmd) > 1 else ''} timed out after {timeout:g} s, killed"
        ) from None
    return CommandResult(proc.returncode, out, err)


# --------------------------------------------------------------------------- cache


@dataclass
class _Memo:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    value: Any = None
    error: str = ""


class ChartCache:
    """Charts on disk for one load. `get` is thread-safe: concurrent requests for the
    same chart wait for the first fetch; a failure is remembered for the load too."""

    def __init__(self, root: Path, helm: str | None, offline: bool = False, fetch_timeout: float = 120.0) -> None:
        self.root = Path(root)
        self.helm = helm
        self.offline = offline
        self.fetch_timeout = fetch_timeout
        self._memos: dict[tuple[str, ...], _Memo] = {}
        self._memos_lock = threading.Lock()
        self.fetches = 0  # network fetches of charts in this load (tests and benchmarks read it)
        self.index_fetches = 0
        self.fetch_seconds = 0.0  # wall time in downloads and `helm pull` (summed over threads)
        self._stats_lock = threading.Lock()
        # hosts that did not answer in this load: later fetches from them fail at once, so
        # an unreachable network costs one timeout per host, not one per chart
        self._unreachable: dict[str, str] = {}

    def _check_host(self, url: str) -> None:
        host = urllib.parse.urlsplit(url).netloc
        with self._stats_lock:
            reason = self._unreachable.get(host)
        if reason:
            raise ChartError(f"{host} did not answer earlier in this load ({reason})")

    def _mark_unreachable(self, url: str, reason: str) -> None:
        with self._stats_lock:
            self._unreachable.setdefault(urllib.parse.urlsplit(url).netloc, _short(reason, 160))

    def _count(self, name: str, amount: float = 1) -> None:
        with self._stats_lock:
            setattr(self, name, getattr(self, name) + amount)

    # one result per key and load, computed once
    def _once(self, key: tuple[str, ...], compute: Callable[[], _T]) -> _T:
        with self._memos_lock:
            memo = self._memos.setdefault(key, _Memo())
        with memo.lock:
            if not memo.done:
                try:
                    memo.value = compute()
                except ChartError as exc:
                    memo.error = str(exc)
                memo.done = True
        if memo.error:
            raise ChartError(memo.error)
        return memo.value  # type: ignore[no-any-return]  # what compute() returned for this key

    def get(self, src: ChartSource) -> FetchedChart:
        """The chart a source asks for, from the cache or fetched once. Raises ChartError."""
        if src.kind == "http":
            return self._once(("chart",) + src.key(), lambda: self._get_http(src))
        if src.kind == "oci":
            return self._once(("chart",) + src.key(), lambda: self._get_oci(src))
        if src.kind == "local":
            return self._once(("chart",) + src.key(), lambda: self._get_local(src))
        raise ChartError(f"unsupported chart source kind {src.kind!r}")

    # ---------------------------------------------------------------- HTTP repositories

    def _http_dir(self, url: str) -> Path:
        return self.root / "http" / url_key(url)

    def index(self, url: str) -> dict[str, Any] | None:
        """The repository index: fetched once per load online; offline, the one saved at
        the last fetch (None when there is none)."""
        return self._once(("index", url), lambda: self._load_index(url))

    def _load_index(self, url: str) -> dict[str, Any] | None:
        saved = self._http_dir(url) / "index.yaml"
        if self.offline:
            return _parse_index(saved.read_bytes(), url) if saved.is_file() else None
        index_url = url.rstrip("/") + "/index.yaml"
        data = self._download(index_url, url)
        self._count("index_fetches")
        parsed = _parse_index(data, url)
        _atomic_write(saved, data)
        (saved.parent / "source.txt").write_text(url + "\n", encoding="utf-8")
        return parsed

    def _download(self, target: str, repo_url: str) -> bytes:
        import urllib.request  # with ssl and http.client ~8 MB: only a load that fetches pays it

        request = urllib.request.Request(target, headers={"User-Agent": "flux-kg"})
        creds = repository_credentials(repo_url)
        same_host = urllib.parse.urlsplit(target).netloc == urllib.parse.urlsplit(repo_url).netloc
        if creds and same_host:  # never send the repository's credentials to another host
            token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        self._check_host(target)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.fetch_timeout) as response:  # noqa: S310 - http(s) only
                data: bytes = response.read(MAX_DOWNLOAD_BYTES + 1)
            if len(data) > MAX_DOWNLOAD_BYTES:
                raise ChartError(f"GET {target}: larger than {MAX_DOWNLOAD_BYTES // 2**20} MiB, refused")
            return data
        except urllib.error.HTTPError as exc:
            hint = " (authentication: `helm repo add --username` for this URL)" if exc.code in (401, 403) else ""
            raise ChartError(f"GET {target}: HTTP {exc.code} {exc.reason}{hint}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if not isinstance(exc, ValueError):  # DNS, refused, timed out: the host is down for us
                self._mark_unreachable(target, f"GET {target}: {reason}")
            raise ChartError(f"GET {target}: {reason}") from None
        finally:
            self._count("fetch_seconds", time.perf_counter() - started)

    def _get_http(self, src: ChartSource) -> FetchedChart:
        if not _SAFE_NAME.match(src.chart):
            raise ChartError(f"invalid chart name {src.chart!r}")
        folder = self._http_dir(src.url)
        pinned = folder / f"{src.chart}-{src.version}.tgz"
        if is_exact_version(src.version) and pinned.is_file():
            # Helm takes an exact version string as written when the index has it: a chart
            # cached under that version needs no index, so pinned charts load without network
            return FetchedChart(pinned, src.chart, src.version, file_digest(pinned), src.url, cached=True)
        index = self.index(src.url)
        entries: list[dict[str, Any]] = []
        if index is not None:
            entries = [e for e in (index.get("entries") or {}).get(src.chart) or [] if isinstance(e, dict)]
            if not entries:
                raise ChartError(f"chart {src.chart!r} not found in repository {src.url}")
            versions = [str(e.get("version")) for e in entries]
        else:  # offline without a saved index: the versions the cache holds
            prefix = f"{src.chart}-"
            versions = [p.name[len(prefix) : -4] for p in folder.glob(f"{src.chart}-*.tgz")] if folder.is_dir() else []
            if not versions:
                raise ChartError(f"offline: chart {src.chart!r} from {src.url} is not in the chart cache ({self.root})")
        try:
            version = pick_version(src.version, versions)
        except ValueError as exc:
            raise ChartError(str(exc)) from None
        if version is None:
            where = "in the chart cache" if index is None else f"in repository {src.url}"
            raise ChartError(f"no version of chart {src.chart!r} matches {src.version or '*'!r} {where}")
        if not _SAFE_NAME.match(version):  # it names a file in the cache
            raise ChartError(f"invalid version {version!r} of chart {src.chart!r} in {src.url}")
        target = folder / f"{src.chart}-{version}.tgz"
        if target.is_file():
            return FetchedChart(target, src.chart, version, file_digest(target), src.url, cached=True)
        if self.offline:
            raise ChartError(
                f"offline: chart {src.chart} {version} from {src.url} is not in the chart cache ({self.root})"
            )
        entry = next(e for e in entries if str(e.get("version")) == version)
        # two constraints may pick the same version at once: one download
        return self._once(("file", str(target)), lambda: self._download_chart(src, version, entry, target))

    def _download_chart(self, src: ChartSource, version: str, entry: dict[str, Any], target: Path) -> FetchedChart:
        if target.is_file():
            return FetchedChart(target, src.chart, version, file_digest(target), src.url, cached=True)
        urls = [u for u in entry.get("urls") or [] if isinstance(u, str)]
        if not urls:
            raise ChartError(f"chart {src.chart} {version} has no download URL in the index of {src.url}")
        chart_url = urllib.parse.urljoin(src.url.rstrip("/") + "/", urls[0])
        if urllib.parse.urlsplit(chart_url).scheme not in ("http", "https"):
            raise ChartError(f"chart {src.chart} {version}: unsupported download URL {chart_url}")
        data = self._download(chart_url, src.url)
        self._count("fetches")
        expected = str(entry.get("digest") or "")
        actual = hashlib.sha256(data).hexdigest()
        if expected and expected.removeprefix("sha256:") != actual:
            raise ChartError(f"chart {src.chart} {version} from {chart_url}: digest mismatch with the index")
        _atomic_write(target, data)
        return FetchedChart(target, src.chart, version, "sha256:" + actual, src.url, cached=False)

    # ---------------------------------------------------------------- OCI

    def _oci_dir(self, url: str) -> Path:
        return self.root / "oci" / url_key(url)

    def _tags(self, url: str) -> dict[str, dict[str, str]]:
        try:
            data = json.loads((self._oci_dir(url) / "tags.json").read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _get_oci(self, src: ChartSource) -> FetchedChart:
        folder = self._oci_dir(src.url)
        if src.digest and not DIGEST.match(src.digest):
            raise ChartError(f"invalid digest {src.digest!r}")
        if src.digest:
            hit = folder / f"{src.digest.split(':')[-1]}.tgz"
            if hit.is_file():
                return self._oci_result(hit, src, src.digest, cached=True)
            return self._pull_oci(src, f"{src.url}@{src.digest}", None)
        tags = self._tags(src.url)
        tag = src.version
        if src.semver:
            if not self.offline:
                return self._pull_oci(src, src.url, src.version or "*")
            try:
                tag = pick_version(src.version, tags) or ""
            except ValueError as exc:
                raise ChartError(str(exc)) from None
            if not tag:
                raise ChartError(
                    f"offline: no cached version of {src.url} matches {src.version or '*'!r} ({self.root})"
                )
        known = tags.get(tag or "latest")
        # a released chart's tag is treated as immutable, except `latest`, which is re-read online
        if known and (self.offline or tag not in ("", "latest")):
            hit = folder / f"{known['digest'].split(':')[-1]}.tgz"
            if hit.is_file():
                return self._oci_result(hit, src, known["digest"], cached=True)
        if self.offline:
            raise ChartError(f"offline: {src.url}:{tag or 'latest'} is not in the chart cache ({self.root})")
        return self._pull_oci(src, src.url, tag or None)

    def _oci_result(self, path: Path, src: ChartSource, digest: str, cached: bool) -> FetchedChart:
        meta = chart_metadata(path)
        name = str(meta.get("name") or src.chart)
        return FetchedChart(path, name, str(meta.get("version") or ""), digest, src.url, cached=cached)

    def _pull_oci(self, src: ChartSource, ref: str, version: str | None) -> FetchedChart:
        if self.offline:
            raise ChartError(f"offline: {ref} is not in the chart cache ({self.root})")
        if not self.helm:
            raise ChartError("no helm binary to pull OCI charts (scripts/helm-local install)")
        self._check_host(src.url)
        folder = self._oci_dir(src.url)
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".pull-") as tmp:
            # `--flag=value` and `--` before the reference: nothing from the repository
            # can be read as another flag
            cmd = [self.helm, "pull", f"--destination={tmp}"]
            if version:
                cmd.append(f"--version={version}")
            if src.insecure:
                cmd.append("--plain-http")
            cmd += ["--", ref]
            started = time.perf_counter()
            try:
                proc = run_command(cmd, self.fetch_timeout)
            except TimeoutError as exc:
                self._mark_unreachable(src.url, f"helm pull {ref}: {exc}")
                raise ChartError(f"helm pull {ref}: {exc}") from None
            finally:
                self._count("fetch_seconds", time.perf_counter() - started)
            if proc.returncode != 0:
                message = proc.stderr or proc.stdout
                if _NETWORK_DOWN.search(message):
                    self._mark_unreachable(src.url, f"helm pull {ref}: {helm_error_line(message)}")
                asked = f" --version {version}" if version else ""
                raise ChartError(f"helm pull {ref}{asked}: {helm_error_line(message)}")
            self._count("fetches")
            pulled = sorted(Path(tmp).glob("*.tgz"))
            if not pulled:
                raise ChartError(f"helm pull {ref}: no chart archive written")
            found = re.search(r"Digest:\s*(sha256:[0-9a-f]{64})", (proc.stdout or "") + (proc.stderr or ""))
            digest = found.group(1) if found else src.digest or file_digest(pulled[0])
            target = folder / f"{digest.split(':')[-1]}.tgz"
            os.replace(pulled[0], target)
        result = self._oci_result(target, src, digest, cached=False)
        # under the chart version and the tag asked for (they differ when a version has
        # `+`, which OCI tags spell `_`), so the next load finds it by either
        self._remember_tag(
            src.url, [result.version] + ([version] if version and not src.semver else []), digest, result.version
        )
        return result

    def _remember_tag(self, url: str, tags_seen: list[str], digest: str, version: str) -> None:
        if not version:
            return
        with self._memos_lock:  # tags.json is shared by every chart of this URL
            tags = self._tags(url)
            for tag in tags_seen:
                tags[tag] = {"digest": digest, "version": version}
            _atomic_write(self._oci_dir(url) / "tags.json", json.dumps(tags, indent=1, sort_keys=True).encode())

    # ---------------------------------------------------------------- local folders

    def _get_local(self, src: ChartSource) -> FetchedChart:
        folder = Path(src.url)
        if not (folder / "Chart.yaml").is_file():
            raise ChartError(f"no Chart.yaml in {src.url}")
        meta = chart_metadata(folder)
        name, version = str(meta.get("name") or folder.name), str(meta.get("version") or "")
        digest = dir_digest(folder)
        missing = _missing_dependencies(folder, meta)
        if not missing:
            return FetchedChart(folder, name, version, digest, src.url, cached=True)
        # dependencies declared but not vendored: build them once into a cached copy,
        # as source-controller does for charts from Git (the repository stays untouched)
        built = self.root / "local" / digest.split(":")[-1][:24] / folder.name
        if (built / ".kg-deps-built").is_file():
            return FetchedChart(built, name, version, digest, src.url, cached=True)
        if self.offline:
            raise ChartError(
                f"offline: dependencies {', '.join(missing)} of chart {name} ({src.url}) are not vendored or cached"
            )
        if not self.helm:
            raise ChartError("no helm binary to build chart dependencies (scripts/helm-local install)")
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".deps-"))
        try:
            copy = staging / folder.name
            shutil.copytree(folder, copy, symlinks=False)
            # `build` follows Chart.lock; once file:// paths are rewritten the lock no longer
            # matches Chart.yaml, and `update` resolves from Chart.yaml instead
            action = "build"
            if _absolutize_file_dependencies(copy, folder):
                (copy / "Chart.lock").unlink(missing_ok=True)
                action = "update"
            try:
                proc = run_command([self.helm, "dependency", action, str(copy)], self.fetch_timeout)
            except TimeoutError as exc:
                raise ChartError(f"helm dependency {action} {name}: {exc}") from None
            if proc.returncode != 0:
                raise ChartError(f"helm dependency {action} {name}: {helm_error_line(proc.stderr or proc.stdout)}")
            self._count("fetches")
            (copy / ".kg-deps-built").write_text("", encoding="utf-8")
            built.parent.mkdir(parents=True, exist_ok=True)
            if not built.exists():
                os.replace(copy, built)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return FetchedChart(built, name, version, digest, src.url, cached=False)


def _parse_index(data: bytes, url: str) -> dict[str, Any]:
    try:
        index = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        raise ChartError(f"unreadable index.yaml of {url}: {_short(str(exc), 160)}") from None
    if not isinstance(index, dict) or not isinstance(index.get("entries"), dict):
        raise ChartError(f"{url}/index.yaml is not a Helm repository index")
    return index


def _missing_dependencies(folder: Path, meta: dict[str, Any]) -> list[str]:
    """Dependencies named in Chart.yaml with neither a folder nor an archive in charts/."""
    deps = [d for d in meta.get("dependencies") or [] if isinstance(d, dict) and d.get("name")]
    charts = folder / "charts"
    present = {p.name for p in charts.iterdir()} if charts.is_dir() else set()
    missing = []
    for dep in deps:
        name = str(dep["name"])
        if name in present or any(p.startswith(f"{name}-") and p.endswith(".tgz") for p in present):
            continue
        missing.append(name)
    return missing


def _absolutize_file_dependencies(copy: Path, original: Path) -> bool:
    """`file://../x` dependencies are relative to the chart's original folder: point the
    copy's Chart.yaml at absolute paths so `helm dependency build` finds them."""
    chart_yaml = copy / "Chart.yaml"
    meta = yaml.safe_load(chart_yaml.read_text(encoding="utf-8")) or {}
    changed = False
    for dep in meta.get("dependencies") or []:
        repo = str(dep.get("repository") or "") if isinstance(dep, dict) else ""
        if repo.startswith("file://") and not repo.startswith("file:///"):
            dep["repository"] = "file://" + str((original / repo[len("file://") :]).resolve())
            changed = True
    if changed:
        chart_yaml.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return changed
