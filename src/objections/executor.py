"""Executors: where audio files are transcribed. In this process, in N worker processes, or on
the actors of a Ray cluster. Whatever the executor, the calling process stays the only one that
writes the store: executors only hand back each file's (turns, stats) as soon as it is done.

Every executor yields `Transcribed` results in completion order; the pipeline saves each at once
(a killed run loses only what was in flight) and builds the calls in input order afterwards, so
outputs never depend on which worker finished first.
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import pickle
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from objections.errors import ConfigError, InputError, ObjectionsError
from objections.models import Turn
from objections.transcribe import Transcriber, WhisperTranscriber, available_cores

EXECUTORS = ("local", "ray")


@dataclass
class ExecutorSpec:
    """How a run spreads transcription: `kind` local or ray; `workers` processes (local) or
    actors (ray; None: one per CPU of the cluster); `address` of a running Ray cluster (None:
    start one on this machine for the run)."""

    kind: str = "local"
    workers: int | None = None
    address: str | None = None

    def check(self) -> None:
        """ConfigError for a request that cannot run, before anything is processed."""
        if self.kind not in EXECUTORS:
            raise ConfigError(f"unknown executor {self.kind!r} (expected one of: local, ray)")
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"--workers must be 1 or more, not {self.workers}")
        if self.kind == "ray":
            _import_ray()


class TranscriptionCrash(Exception):
    """A bug met while transcribing one file (in whichever process): `str` is 'Type: message'."""


class WorkerFailed(ObjectionsError):
    """An ObjectionsError raised in a worker (the model cannot load): it stops the run, as it
    would in this process."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Transcribed:
    """One audio file's transcript, or why there is none. Plain data, so that it crosses
    process and machine boundaries (InputError itself does not unpickle)."""

    path: Path
    turns: list[Turn] | None = None
    stats: dict[str, Any] | None = None
    problem: str | None = None  # bad input: the file is listed as failed with this reason
    crash: str | None = None  # a bug: the file is listed as an internal error
    fatal: tuple[str, int] | None = None  # (message, exit code): nothing can be transcribed

    def error(self, path: Path) -> Exception | None:
        """The exception that loading `path` (this audio, under any name) raises, if any."""
        if self.fatal:
            return WorkerFailed(*self.fatal)
        if self.problem is not None:
            return InputError(str(path), self.problem)
        if self.crash is not None:
            return TranscriptionCrash(self.crash)
        return None


def transcribe_one(transcriber: Transcriber, path: Path) -> Transcribed:
    """Transcribe `path`, turning every failure into data."""
    try:
        turns = transcriber.transcribe(path)
    except InputError as exc:
        return Transcribed(path, problem=exc.reason)
    except ObjectionsError as exc:
        return Transcribed(path, fatal=(str(exc), exc.exit_code))
    except Exception as exc:  # a bug: the batch goes on without this file
        if os.environ.get("OBJECTIONS_DEBUG"):
            traceback.print_exc()
        return Transcribed(path, crash=f"{type(exc).__name__}: {exc}")
    measured = getattr(transcriber, "stats", None)
    return Transcribed(path, turns, measured() if callable(measured) else None)


class Executor(Protocol):
    """Transcribes files somewhere; yields each result as soon as it is done."""

    description: str

    def transcribe(self, paths: list[Path]) -> Iterator[Transcribed]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """One file after another, in this process, with the pipeline's own transcriber."""

    def __init__(self, transcriber: Transcriber) -> None:
        self.transcriber = transcriber
        self.description = "in this process"

    def transcribe(self, paths: list[Path]) -> Iterator[Transcribed]:
        for path in paths:
            yield transcribe_one(self.transcriber, path)

    def close(self) -> None:
        pass


# --- worker processes on this machine -----------------------------------------------------

_worker_transcriber: Transcriber | None = None


def _start_worker(factory: Callable[[], Transcriber], threads: int) -> None:
    """Process pool initializer: one transcriber per worker, built once, on `threads` cores."""
    global _worker_transcriber
    exit_with_parent()
    limit_threads(threads)
    _worker_transcriber = with_cores(factory(), threads)


def exit_with_parent(every: float = 1.0) -> None:
    """End this worker when the run that started it is gone (killed, even with SIGKILL): the
    pool's queues never tell an orphaned worker, which would otherwise wait forever."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _transcribe_in_worker(path: Path) -> Transcribed:
    assert _worker_transcriber is not None, "the worker initializer did not run"
    return transcribe_one(_worker_transcriber, path)


def limit_threads(threads: int) -> None:
    """Make this process's libraries use `threads` cores, not every core it can see: N workers
    on one machine share its cores."""
    os.environ["OMP_NUM_THREADS"] = str(threads)


def with_cores(transcriber: Transcriber, cores: int) -> Transcriber:
    """The transcriber, told how many cores it has (Whisper sizes its CTranslate2 pool so)."""
    if isinstance(transcriber, WhisperTranscriber):
        transcriber.cores = cores
    return transcriber


class ProcessExecutor:
    """N worker processes ("spawn": CTranslate2 and torch threads do not survive fork), each
    with its own transcriber and cores // N CPU threads."""

    def __init__(self, factory: Callable[[], Transcriber], workers: int) -> None:
        threads = max(1, available_cores() // workers)
        self.new_pool = functools.partial(
            ProcessPoolExecutor,
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(factory, threads),
        )
        self.pool, self.workers = self.new_pool(), workers
        self.finished = True  # False while files are in flight: close() then stops the workers
        self.description = f"on {workers} worker processes, {threads} thread(s) each"

    def transcribe(self, paths: list[Path]) -> Iterator[Transcribed]:
        """One file per worker in flight. A worker that dies (killed, out of memory) breaks the
        pool and every file in flight with it: the pool is rebuilt and those files are retried
        one at a time, so only a file that breaks the pool while alone in it is failed."""
        self.finished = False
        queue, suspects = deque(paths), deque[Path]()
        running: dict[Future[Transcribed], Path] = {}
        while queue or suspects or running:
            waiting, room = (suspects, 1) if suspects else (queue, self.workers)
            while waiting and len(running) < room:
                try:
                    future = self.pool.submit(_transcribe_in_worker, waiting[0])
                except BrokenProcessPool:  # since the last wait: its files in flight tell which
                    if running:
                        break
                    self._renew()
                    continue
                running[future] = waiting.popleft()
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            alone = len(running) == 1
            if any(_broke(future) for future in done):
                done, _ = wait(running)  # a broken pool fails all of them, at once
                self._renew()
            for future in done:
                path = running.pop(future)
                error = future.exception()
                if error is None:
                    yield future.result()
                elif not isinstance(error, BrokenProcessPool):
                    yield Transcribed(path, crash=f"{type(error).__name__}: {error}")
                elif alone:
                    crash = "its worker process died transcribing it (out of memory, or killed)"
                    yield Transcribed(path, crash=crash)
                else:
                    suspects.append(path)
        self.finished = True

    def close(self) -> None:
        """Wait for the workers to exit; end them at once if files are still in flight (the
        run stops on an error)."""
        self._stop(wait=self.finished)

    def _renew(self) -> None:
        self._stop(wait=False)
        self.pool = self.new_pool()

    def _stop(self, wait: bool) -> None:
        if not wait:
            for process in list((self.pool._processes or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=wait, cancel_futures=True)


def _broke(future: Future[Transcribed]) -> bool:
    return isinstance(future.exception(), BrokenProcessPool)


# --- Ray ----------------------------------------------------------------------------------


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "--executor ray needs the ray package: pip install 'objections[ray]'"
        ) from None
    return ray


class TranscriberActor:
    """A Ray actor holding one loaded transcriber. Audio arrives as bytes (workers need not
    share the filesystem) and is decoded from a temporary file with the original's suffix."""

    def __init__(self, factory: Callable[[], Transcriber], threads: int) -> None:
        limit_threads(threads)
        self.transcriber = with_cores(factory(), threads)

    def ready(self) -> bool:
        """Answers once the actor is placed on a node and its transcriber is built."""
        return True

    def transcribe(self, name: str, data: bytes) -> Transcribed:
        with tempfile.TemporaryDirectory(prefix="objections-") as folder:
            path = Path(folder) / Path(name).name
            path.write_bytes(data)
            return transcribe_one(self.transcriber, path)


class RayExecutor:
    """Transcription on Ray actors, one file in flight per actor: only the audio being
    transcribed is held in memory, here and in the object store. An actor gets work only once it
    answers that it is ready; if none is, for `ready_timeout` seconds, the rest fail."""

    ready_timeout = 300.0

    def __init__(
        self,
        factory: Callable[[], Transcriber],
        workers: int | None,
        address: str | None,
        files: int,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        ray = self.ray = _import_ray()
        self.owns_ray = not ray.is_initialized()
        if self.owns_ray:
            try:
                if address:
                    ray.init(address=address, logging_level="WARNING")
                else:  # a Ray instance on this machine, for this run
                    ray.init(include_dashboard=False, logging_level="WARNING")
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
                where = f"the Ray cluster at {address}" if address else "a local Ray instance"
                raise ConfigError(f"cannot start or reach {where}: {_first_line(exc)}") from None
        self.actors: list[Any] = []
        try:
            # Each actor takes a CPU: more actors than the cluster has CPUs would never start.
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
            count = min(files, workers or cpus, cpus)
            if workers and count < min(files, workers):
                log(f"note: the Ray cluster has {cpus} CPU(s): starting {count} actor(s), "
                    f"not {workers}")  # fmt: skip
            actor = ray.remote(num_cpus=1)(TranscriberActor)
            self.actors = [actor.remote(factory, 1) for _ in range(count)]
        except BaseException:
            self.close()
            raise
        where = address or "a local Ray instance"
        self.description = f"on {count} Ray actor(s) on {where}"

    def transcribe(self, paths: list[Path]) -> Iterator[Transcribed]:
        ray = self.ray
        starting = {actor.ready.remote(): actor for actor in self.actors}
        idle: list[Any] = []
        queue = list(reversed(paths))
        running: dict[Any, tuple[Any, Path]] = {}
        lost = "no actor could start"
        while queue or running:
            while idle and queue:
                path = queue.pop()
                try:
                    data = path.read_bytes()
                except OSError as exc:  # removed or unreadable since it was hashed
                    yield Transcribed(path, problem=f"cannot read it: {exc.strerror or exc}")
                    continue
                actor = idle.pop()
                running[actor.transcribe.remote(path.name, data)] = (actor, path)
            if not running and not queue:
                return
            ready: list[Any] = []
            if running or starting:
                timeout = None if running else self.ready_timeout
                ready, _ = ray.wait([*running, *starting], num_returns=1, timeout=timeout)
            if not ready:  # nothing can take the rest: every actor died, or none started in time
                if starting:
                    lost = f"none started within {self.ready_timeout:.0f} s"
                crash = f"no Ray actor left to transcribe it ({lost})"
                for path in reversed(queue):
                    yield Transcribed(path, crash=crash)
                return
            [ref] = ready
            if ref in starting:
                actor = starting.pop(ref)
                try:
                    ray.get(ref)
                except ray.exceptions.RayError as exc:  # it never started: it gets no work
                    lost = f"the Ray actor died: {_first_line(exc)}"
                else:
                    idle.append(actor)
                continue
            actor, path = running.pop(ref)
            try:
                done = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                lost = f"the Ray actor died: {_first_line(exc)}"
                yield Transcribed(path, crash=lost)
                continue  # the actor is gone: it gets no more work
            except ray.exceptions.RayError as exc:
                yield Transcribed(path, crash=f"{type(exc).__name__}: {_first_line(exc)}")
            else:
                done.path = path
                yield done
            idle.append(actor)

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        if self.owns_ray:
            self.ray.shutdown()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- choosing one -------------------------------------------------------------------------


def transcriber_factory(transcriber: Transcriber) -> Callable[[], Transcriber] | None:
    """How another process builds the same transcriber: Whisper from its config and vocabulary;
    anything else as a pickled copy. None when it cannot be pickled."""
    if type(transcriber) is WhisperTranscriber:
        # The model this process chose (its id names it): a worker with a GPU of its own must
        # not pick the larger cuda_model, or its transcripts would be stored under another id.
        config = dataclasses.replace(
            transcriber.config, model=transcriber.model_name, cuda_model=""
        )
        return functools.partial(WhisperTranscriber, config, transcriber.vocabulary)
    factory = functools.partial(_same, transcriber)
    try:
        pickle.dumps(factory)
    except Exception:  # a test's closure, a live model: it stays in this process
        return None
    return factory


def _same(transcriber: Transcriber) -> Transcriber:
    return transcriber


def make_executor(
    spec: ExecutorSpec,
    transcriber: Transcriber,
    files: int,
    log: Callable[[str], None] = lambda message: None,
) -> Executor:
    """The executor for `files` audio files to transcribe with `transcriber`."""
    spec.check()
    workers = min(spec.workers or 1, files)
    if spec.kind == "local" and workers <= 1:
        return LocalExecutor(transcriber)
    factory = transcriber_factory(transcriber)
    if factory is None:
        log(f"note: {type(transcriber).__name__} cannot be sent to other processes; "
            "transcribing in this process")  # fmt: skip
        return LocalExecutor(transcriber)
    if spec.kind == "ray":
        return RayExecutor(factory, spec.workers, spec.address, files, log)
    return ProcessExecutor(factory, workers)
