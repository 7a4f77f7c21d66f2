"""Child processes with bounds: a wall-clock timeout and a memory limit.

Every program kg starts on the repository's behalf (kustomize; helm once charts are
rendered) reads files that may be hostile: a YAML alias bomb of a few hundred bytes
makes kustomize allocate gigabytes for minutes. `run_bounded` runs such a program so
that one file cannot hang or exhaust a load:

- the child leads its own process group; on timeout the whole group is killed (a
  kustomize exec plugin or helm started by kustomize goes too);
- its memory is capped with RLIMIT_DATA (heap and private anonymous mappings, Linux
  >= 4.7), set by a `/bin/sh` wrapper (`ulimit -d`) rather than in `preexec_fn`: kg starts
  builds from worker threads, where `preexec_fn` is documented as unsafe. RLIMIT_AS is
  not used: Go programs (kubectl, kustomize, helm) reserve address space they never
  touch, and kubectl fails to start under some RLIMIT_AS values whatever the work
  (measured: 600, 700, 1200 and 1250 MB fail, 800 and 2048 MB work), so it would be
  a lottery. RLIMIT_DATA behaves monotonically (kubectl kustomize starts with 60 MB);
- Ctrl-C, which the terminal delivers to kg's process group and no longer to the
  children's, kills the running children while `interrupts_kill_children` is active (a
  Workspace), and no new child starts until it ends: an interrupted load stops at once
  instead of waiting for every queued build. An interrupted run says so
  (`BoundedRun.interrupted`); callers raise KeyboardInterrupt.

The settings are read in one place, `BuildLimits.from_env`: KG_BUILD_TIMEOUT (seconds)
and KG_BUILD_MEMORY_MB; 0 turns a limit off.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TIMEOUT_ENV = "KG_BUILD_TIMEOUT"
MEMORY_ENV = "KG_BUILD_MEMORY_MB"
# The largest real builds take seconds and a few hundred MB (docs/reliability.md, Scale:
# kustomize peaks at 351 MB for 20,000 objects); the defaults leave a wide margin and
# still stop a runaway build within two minutes, before it takes the machine's memory.
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MEMORY_MB = 2048
# How a program says that an allocation failed: Go's runtime ("fatal error: runtime: out of
# memory", "runtime: cannot allocate memory", ...), Python, C++. Anchored at a line start, so
# an error message quoting an object's text ("node is out of memory") does not count.
_OUT_OF_MEMORY = re.compile(
    r"^(?:fatal error: |runtime: )[^\n]*(?:out of memory|cannot allocate memory|failed to reserve)"
    r"|^MemoryError\b|std::bad_alloc",
    re.MULTILINE,
)
# Seconds to collect the output of a killed group; a descendant that left the group
# (setsid) may keep the pipes open, and is not waited for.
_DRAIN_AFTER_KILL_S = 5.0


@dataclass(frozen=True)
class BuildLimits:
    """The bounds every child process runs with; None: no limit."""

    timeout_s: float | None = DEFAULT_TIMEOUT_S
    memory_mb: int | None = DEFAULT_MEMORY_MB

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> tuple[BuildLimits, list[str]]:
        """The limits set by KG_BUILD_TIMEOUT / KG_BUILD_MEMORY_MB, and a problem per value
        that is not a number (its default applies then)."""
        environ = os.environ if environ is None else environ
        problems: list[str] = []
        timeout = _setting(environ, TIMEOUT_ENV, DEFAULT_TIMEOUT_S, "a number of seconds", problems)
        memory = _setting(environ, MEMORY_ENV, DEFAULT_MEMORY_MB, "a number of MB", problems)
        return cls(timeout_s=timeout or None, memory_mb=int(memory) or None), problems


def _setting(environ: Mapping[str, str], name: str, default: float, unit: str, problems: list[str]) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):  # also refuses NaN
        problems.append(f"{name}={text!r} is not {unit} (0 turns the limit off): the default {default:g} applies")
        return default
    return value


@dataclass(frozen=True)
class LimitHit:
    """A child process stopped by one of kg's limits."""

    limit: str  # "timeout" or "memory"
    value: float  # the limit: seconds or MB
    setting: str  # the environment variable that sets it

    def __str__(self) -> str:
        if self.limit == "timeout":
            return f"timed out after {self.value:g} s (limit {self.setting}), killed"
        return f"ran out of memory at {self.value:g} MB (limit {self.setting})"


@dataclass
class BoundedRun:
    """What a bounded child process did."""

    returncode: int  # negative: killed by that signal
    stdout: str
    stderr: str
    seconds: float
    limit_hit: LimitHit | None = None
    interrupted: bool = False  # killed because kg itself was interrupted (Ctrl-C)


def run_bounded(
    cmd: Sequence[str],
    cwd: Path | str | None,
    timeout_s: float | None,
    memory_mb: int | None,
    *,
    input_text: str | None = None,
    env: Mapping[str, str] | None = None,
) -> BoundedRun:
    """Run `cmd` in its own process group with a wall-clock timeout (the whole group is
    killed when it passes) and a data-segment limit of `memory_mb` per process; None turns
    a limit off. Raises OSError when the program cannot be started at all (without a
    memory limit; with one, the shell reports it: exit 127 and its message)."""
    if is_stopping():  # kg was interrupted: start nothing more
        return BoundedRun(-signal.SIGINT, "", "", 0.0, None, interrupted=True)
    argv = bounded_argv(cmd, memory_mb)
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        errors="replace",
        process_group=0,  # its own group: a timeout kills what it started too
    )
    register_child(proc)
    limit_hit = None
    try:
        try:
            stdout, stderr = proc.communicate(input_text, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            # the group leader is not reaped yet, so its id cannot name another group
            kill_group(proc.pid)
            limit_hit = LimitHit("timeout", float(timeout_s or 0), TIMEOUT_ENV)
            stdout, stderr = _drain(proc)
    finally:
        interrupted = unregister_child(proc)
        if proc.returncode is None:  # an exception (KeyboardInterrupt) while waiting
            kill_group(proc.pid)
            proc.wait()
    seconds = time.perf_counter() - started
    if limit_hit is None and memory_mb and not interrupted and out_of_memory(proc.returncode, stderr):
        limit_hit = LimitHit("memory", float(memory_mb), MEMORY_ENV)
    return BoundedRun(proc.returncode, stdout or "", stderr or "", seconds, limit_hit, interrupted)


def tools_dir() -> Path:
    """Where scripts/kustomize-local and scripts/helm-local keep the tools they build:
    KG_TOOLS_DIR, else ~/.cache/flux-kg/tools."""
    return Path(os.environ.get("KG_TOOLS_DIR") or Path.home() / ".cache" / "flux-kg" / "tools")


def bounded_argv(cmd: Sequence[str], memory_mb: int | None) -> list[str]:
    """`cmd` under the data-segment limit `memory_mb` (None: unchanged)."""
    if not memory_mb:
        return list(cmd)
    # `ulimit -d` takes KiB; if a shell cannot set it, the child runs with the timeout only
    return ["/bin/sh", "-c", f'ulimit -d {int(memory_mb) * 1024} 2>/dev/null; exec "$@"', "kg-bounded", *cmd]


def is_stopping() -> bool:
    """Whether kg was interrupted (Ctrl-C): no new child may start."""
    return _stopping.is_set()


def out_of_memory(returncode: int, stderr: str) -> bool:
    """Whether a failed child died of its memory limit: it says an allocation failed, or
    the kernel's OOM killer sent SIGKILL (kg itself kills only on timeout)."""
    # Go prints the reason first, then every goroutine's stack; others print it last
    said = _OUT_OF_MEMORY.search(stderr[:4000]) or _OUT_OF_MEMORY.search(stderr[-4000:])
    return returncode != 0 and (returncode == -signal.SIGKILL or said is not None)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """The output of a killed child, without waiting for a descendant that escaped."""
    try:
        return proc.communicate(timeout=_DRAIN_AFTER_KILL_S)
    except subprocess.TimeoutExpired:
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.wait()
        return "", ""


# -- Ctrl-C reaches the children ----------------------------------------------------
# Children lead their own process groups, so the terminal's SIGINT no longer reaches
# them; while `interrupts_kill_children` is active, kg's SIGINT kills them itself.
_running: dict[int, subprocess.Popen[Any]] = {}
_interrupted: set[int] = set()
_running_lock = threading.RLock()  # re-entrant: the SIGINT handler may run while the main thread holds it
_stopping = threading.Event()  # set by an interrupt until `interrupts_kill_children` ends


def register_child(proc: subprocess.Popen[Any]) -> None:
    with _running_lock:
        _running[proc.pid] = proc


def unregister_child(proc: subprocess.Popen[Any]) -> bool:
    """Forget a finished child; True when it was killed by an interrupt."""
    with _running_lock:
        _running.pop(proc.pid, None)
        if proc.pid in _interrupted:
            _interrupted.discard(proc.pid)
            return True
        return False


def kill_running_children() -> int:
    """Kill every running child process group started by `run_bounded`; their count."""
    with _running_lock:
        pids = [pid for pid, proc in _running.items() if proc.returncode is None]
        _interrupted.update(pids)
    for pid in pids:
        kill_group(pid)
    return len(pids)


@contextmanager
def interrupts_kill_children() -> Iterator[None]:
    """While active, SIGINT kills the running children, then does what it did before
    (raise KeyboardInterrupt, by default). Signal handlers can only be set from the main
    thread: elsewhere, and when SIGINT is ignored or not Python's, this does nothing."""
    try:
        previous: Any = signal.getsignal(signal.SIGINT)
    except ValueError:
        previous = None
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        _stopping.set()
        kill_running_children()
        previous(signum, frame)

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is on_interrupt:
            signal.signal(signal.SIGINT, previous)
        _stopping.clear()
