"""kustomize builds in one long-lived process per render worker.

`kustomize build` pays ~90 ms of CPU and ~50 MB parsing its built-in OpenAPI schema
whenever a kustomization patches a custom resource (Flux's spec.patches on
HelmReleases, in most repositories): as one process per build that is most of a
load's kustomize time. `kg-kustomize-server` (scripts/kustomize-server, built by
`scripts/kustomize-local install`) is the kustomize CLI's own build command run many
times in one process, so the schema is parsed once; kustomize-controller builds
in-process the same way. Its protocol: a JSON argument list a line in, a JSON
{stdout, stderr, exit} a line out.

A `BuildServer` keeps the bounds `run_bounded` gives a one-shot build (loaders/limits.py):
each build has the wall-clock timeout (on expiry the server's process group is killed
and the next build starts a fresh one), the server runs under the data-segment limit
(a build that exhausts it kills the server; that build reports the memory limit), and
Ctrl-C kills it like any other child.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from .limits import (
    MEMORY_ENV,
    TIMEOUT_ENV,
    BoundedRun,
    BuildLimits,
    LimitHit,
    bounded_argv,
    is_stopping,
    kill_group,
    out_of_memory,
    register_child,
    unregister_child,
)

# How long a server that was asked to stop may take before it is killed.
_CLOSE_WAIT_S = 2.0


class BuildServer:
    """One kg-kustomize-server, started on the first build; not thread-safe (the render
    stage gives each worker copy its own)."""

    def __init__(self, command: Sequence[str], cwd: Path, limits: BuildLimits, env: Mapping[str, str]):
        self.command = list(command)
        self.cwd = cwd
        self.limits = limits
        self.env = dict(env)
        self.starts = 0  # processes started: 1 unless a limit or a crash ended one
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._pending = bytearray()

    def run(self, args: Sequence[str]) -> BoundedRun:
        """Run one kustomize command line (without the program name), bounded."""
        if is_stopping():  # kg was interrupted: start nothing more
            return BoundedRun(-signal.SIGINT, "", "", 0.0, None, interrupted=True)
        started = time.perf_counter()
        proc = self._proc or self._start()
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(list(args)).encode() + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._ended(proc, started)
        deadline = None if not self.limits.timeout_s else started + self.limits.timeout_s
        line = self._read_line(proc, deadline)
        seconds = time.perf_counter() - started
        if line is None:
            if deadline is not None and time.perf_counter() >= deadline and proc.poll() is None:
                self._stop(proc, kill=True)
                hit = LimitHit("timeout", float(self.limits.timeout_s or 0), TIMEOUT_ENV)
                return BoundedRun(-signal.SIGKILL, "", "", seconds, hit)
            return self._ended(proc, started)
        try:
            answer = json.loads(line)
            return BoundedRun(int(answer["exit"]), str(answer["stdout"]), str(answer["stderr"]), seconds)
        except (ValueError, TypeError, KeyError):
            # not kg's server (a stale or foreign binary by that name): this build fails, said plainly
            self._stop(proc, kill=True)
            said = line[:200].decode("utf-8", "replace")
            return BoundedRun(
                1, "", f"{self.command[0]} did not answer as kg's kustomize build server: {said!r}", seconds
            )

    def close(self) -> None:
        """Ask the server to finish (end of input); kill it if it does not."""
        if self._proc is not None:
            self._stop(self._proc, kill=False)

    # -- the process -----------------------------------------------------------------
    def _start(self) -> subprocess.Popen[bytes]:
        self._stderr = tempfile.TemporaryFile(prefix="kg-kustomize-server-")
        self._pending.clear()
        proc = subprocess.Popen(
            bounded_argv(self.command, self.limits.memory_mb),
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            process_group=0,  # its own group, as every bounded child (loaders/limits.py)
        )
        register_child(proc)
        self._proc = proc
        self.starts += 1
        return proc

    def _read_line(self, proc: subprocess.Popen[bytes], deadline: float | None) -> bytes | None:
        """The next answer line; None when the server ended or the deadline passed."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._pending:
                wait = None if deadline is None else deadline - time.perf_counter()
                if wait is not None and wait <= 0:
                    return None
                if not selector.select(wait):
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return None
                self._pending += chunk
        end = self._pending.index(b"\n")
        line = bytes(self._pending[:end])
        del self._pending[: end + 1]
        return line

    def _ended(self, proc: subprocess.Popen[bytes], started: float) -> BoundedRun:
        """The server died during a build: what the build reports (the next one restarts it)."""
        stderr, interrupted = self._stop(proc, kill=True)
        seconds = time.perf_counter() - started
        if interrupted:
            return BoundedRun(proc.returncode, "", stderr, seconds, None, interrupted=True)
        returncode = proc.returncode if proc.returncode else 1
        limit_hit = None
        if self.limits.memory_mb and out_of_memory(returncode, stderr):
            limit_hit = LimitHit("memory", float(self.limits.memory_mb), MEMORY_ENV)
        return BoundedRun(returncode, "", stderr or "the kustomize build server exited", seconds, limit_hit)

    def _stop(self, proc: subprocess.Popen[bytes], kill: bool) -> tuple[str, bool]:
        """End the server (closing its input first unless `kill`) and forget it: what it
        wrote to stderr, and whether an interrupt (Ctrl-C) had killed it."""
        if not kill and proc.stdin is not None:
            try:
                proc.stdin.close()
                proc.wait(_CLOSE_WAIT_S)
            except (OSError, subprocess.TimeoutExpired):
                kill = True
        if kill or proc.poll() is None:
            kill_group(proc.pid)
        proc.wait()
        interrupted = unregister_child(proc)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass
        stderr = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            stderr = self._stderr.read().decode("utf-8", "replace")
            self._stderr.close()
            self._stderr = None
        self._proc = None
        return stderr, interrupted
