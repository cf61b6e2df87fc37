"""Transcription in worker processes and on Ray actors: the same results as in-process, the store
written by this process only, stored transcripts never sent out, failures per file."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import (
    PRICE,
    SECURITY,
    CoresTranscriber,
    CountingEmbedder,
    LoggingScriptTranscriber,
    ScriptTranscriber,
    logged,
    stereo_turns,
    write_audio_stub,
    write_transcript_call,
)

from objections.cli import cli, main
from objections.config import CompanyConfig, Config, TranscribeConfig
from objections.detect import KeywordDetector
from objections.executor import (
    ExecutorSpec,
    LocalExecutor,
    ProcessExecutor,
    RayExecutor,
    available_cores,
    transcriber_factory,
    with_cores,
)
from objections.pipeline import Components, Pipeline, RunOptions, RunResult
from objections.store import Store
from objections.transcribe import WhisperTranscriber

SCRIPTS = {
    f"call-{n}.wav": stereo_turns(
        [("rep", "Thanks for joining, how do you approve invoices today?"),
         ("buyer", PRICE[n % 4]), ("rep", "Understood."), ("buyer", SECURITY[(n + 1) % 4]),
         ("rep", "Okay."), ("buyer", f"We have {n + 20} people on the finance team.")]
    )
    for n in range(6)
}  # fmt: skip


@pytest.fixture
def calls_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in SCRIPTS:
        write_audio_stub(folder / name)
    write_transcript_call(folder / "T-1.json", "T-1", "2026-11-02", [PRICE[2], SECURITY[1]])
    return folder


def run_with(
    spec: ExecutorSpec,
    calls: Path,
    tmp_path: Path,
    tag: str,
    transcriber: ScriptTranscriber | None = None,
    log: list[str] | None = None,
) -> tuple[RunResult, Store]:
    """A run on its own store and output folder, transcribing on `spec`."""
    transcriber = transcriber or LoggingScriptTranscriber(SCRIPTS, tmp_path / f"{tag}.log")
    parts = Components(transcriber, CountingEmbedder(), KeywordDetector())
    config = Config(company=CompanyConfig(name="Acme", reps=["Sam Seller"]))
    store = Store(tmp_path / f"{tag}.db")
    pipeline = Pipeline(config, store, parts, log=(log.append if log is not None else print))
    out = tmp_path / f"{tag}-out"
    return pipeline.run(RunOptions([calls], out, config, executor=spec)), store


def outputs(out: Path) -> dict[str, object]:
    """What a run published, minus its timestamp."""
    doc = json.loads((out / "themes.json").read_text())
    doc.pop("generated_at")
    briefs = {p.name: p.read_text() for p in sorted((out / "briefs").glob("*.md"))}
    return {"themes": doc, "objections": (out / "objections.jsonl").read_text(), "briefs": briefs}


def stored_turns(store: Store, calls: Path) -> dict[str, object]:
    shas = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in calls.glob("*.wav")}
    return {name: store.transcript(sha, "fake-transcriber:v1") for name, sha in shas.items()}


def test_two_worker_processes_give_the_same_results_as_one(calls_dir: Path, tmp_path: Path) -> None:
    one, one_store = run_with(ExecutorSpec(workers=1), calls_dir, tmp_path, "one")
    two, two_store = run_with(ExecutorSpec(workers=2), calls_dir, tmp_path, "two")
    assert one.transcribed == two.transcribed == len(SCRIPTS)
    assert one.calls == two.calls == len(SCRIPTS) + 1
    assert outputs(tmp_path / "one-out") == outputs(tmp_path / "two-out")
    assert stored_turns(one_store, calls_dir) == stored_turns(two_store, calls_dir)
    assert all(turns for turns in stored_turns(two_store, calls_dir).values())
    # One worker runs here; two run in other processes, each file exactly once.
    assert {pid for _, pid, _ in logged(tmp_path / "one.log")} == {os.getpid()}
    work = logged(tmp_path / "two.log")
    assert sorted(name for name, _, _ in work) == sorted(SCRIPTS)
    assert os.getpid() not in {pid for _, pid, _ in work}


def test_stored_transcripts_are_never_sent_to_a_worker(calls_dir: Path, tmp_path: Path) -> None:
    run_with(ExecutorSpec(workers=2), calls_dir, tmp_path, "s")
    write_audio_stub(calls_dir / "call-new.wav")
    SCRIPTS["call-new.wav"] = SCRIPTS["call-1.wav"]
    (calls_dir / "copy-of-call-0.wav").write_bytes((calls_dir / "call-0.wav").read_bytes())
    try:
        (tmp_path / "s.log").unlink()
        result, _ = run_with(ExecutorSpec(workers=2), calls_dir, tmp_path, "s")
    finally:
        del SCRIPTS["call-new.wav"]
    assert [name for name, _, _ in logged(tmp_path / "s.log")] == ["call-new.wav"]
    assert result.transcribed == 1 and result.calls == len(SCRIPTS) + 2
    assert [Path(f).name for f, _ in result.duplicates] == ["copy-of-call-0.wav"]


def test_failures_in_workers_are_reported_per_file(calls_dir: Path, tmp_path: Path) -> None:
    fail = {"call-1.wav": "input", "call-2.wav": "a bug in the transcriber"}
    transcriber = LoggingScriptTranscriber(SCRIPTS, tmp_path / "f.log", fail=fail)
    result, store = run_with(ExecutorSpec(workers=2), calls_dir, tmp_path, "f", transcriber)
    failed = {Path(f).name: reason for f, reason in result.failed}
    assert failed == {
        "call-1.wav": "scripted bad audio",
        "call-2.wav": "internal error: RuntimeError: a bug in the transcriber",
    }
    assert result.internal_errors == 1
    assert result.calls == len(SCRIPTS) - 1, "the other calls are all processed"
    assert result.transcribed == len(SCRIPTS) - 2
    assert store.counts()["transcripts"] == len(SCRIPTS) - 2, "failures store nothing"


def test_a_dying_worker_fails_only_its_own_file(calls_dir: Path, tmp_path: Path) -> None:
    transcriber = LoggingScriptTranscriber(SCRIPTS, tmp_path / "d.log", fail={"call-2.wav": "exit"})
    result, _ = run_with(ExecutorSpec(workers=2), calls_dir, tmp_path, "d", transcriber)
    assert result.failed == [
        (str(calls_dir / "call-2.wav"),
         "internal error: its worker process died transcribing it (out of memory, or killed)")
    ]  # fmt: skip
    assert result.transcribed == len(SCRIPTS) - 1 and result.calls == len(SCRIPTS)


def test_after_an_error_close_stops_the_workers_at_once(calls_dir: Path, tmp_path: Path) -> None:
    fail = {"call-1.wav": "hang"}
    factory = transcriber_factory(LoggingScriptTranscriber(SCRIPTS, tmp_path / "h.log", fail=fail))
    assert factory is not None
    executor = ProcessExecutor(factory, 2)
    results = executor.transcribe([calls_dir / "call-0.wav", calls_dir / "call-1.wav"])
    assert next(results).path.name == "call-0.wav"  # the run stops here, call-1 in flight
    workers = list(executor.pool._processes.values())
    started = time.monotonic()
    executor.close()
    assert time.monotonic() - started < 10, "close() waited for the file in flight"
    while any(worker.exitcode is None for worker in workers) and time.monotonic() < started + 10:
        time.sleep(0.05)  # (the pool's own thread reaps them too: is_alive() can race it)
    assert all(worker.exitcode is not None for worker in workers), "a worker is still running"


def test_ray_executor_shuts_down_the_ray_it_started_when_it_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class FailingRay:
        running = False

        def is_initialized(self) -> bool:
            return self.running

        def init(self, **options: object) -> None:
            self.running = True

        def cluster_resources(self) -> dict[str, float]:
            raise RuntimeError("the cluster went away")

        def shutdown(self) -> None:
            self.running = False

    ray = FailingRay()
    monkeypatch.setattr("objections.executor._import_ray", lambda: ray)
    with pytest.raises(RuntimeError, match="went away"):
        RayExecutor(lambda: ScriptTranscriber(SCRIPTS), 2, None, 3)
    assert not ray.running


def test_a_transcriber_that_cannot_be_pickled_runs_in_this_process(
    calls_dir: Path, tmp_path: Path
) -> None:
    transcriber = ScriptTranscriber(SCRIPTS)
    transcriber.hook = lambda: None  # type: ignore[attr-defined]
    assert transcriber_factory(transcriber) is None
    messages: list[str] = []
    result, _ = run_with(
        ExecutorSpec(workers=2), calls_dir, tmp_path, "p", transcriber, log=messages
    )
    assert transcriber.files_transcribed == len(SCRIPTS) == result.transcribed
    assert any("cannot be sent to other processes" in m for m in messages)


def test_whisper_is_rebuilt_from_its_config_in_a_worker() -> None:
    whisper = WhisperTranscriber(TranscribeConfig(beam_size=2), ["Ledgerline"])
    factory = transcriber_factory(whisper)
    assert factory is not None
    rebuilt = factory()
    assert rebuilt is not whisper and rebuilt.id == whisper.id
    # A worker runs the model this process chose, even where it has a GPU of its own.
    assert isinstance(rebuilt, WhisperTranscriber) and rebuilt.config.cuda_model == ""
    assert rebuilt.config.model == whisper.model_name
    assert isinstance(rebuilt, WhisperTranscriber) and rebuilt.vocabulary == ["Ledgerline"]


def test_each_worker_process_gets_its_share_of_the_cores(tmp_path: Path) -> None:
    paths = [tmp_path / f"c{n}.wav" for n in range(2)]
    for path in paths:
        write_audio_stub(path)
    factory = transcriber_factory(CoresTranscriber())
    assert factory is not None
    executor = ProcessExecutor(factory, 2)
    try:
        seen = {d.path.name: d.turns[0].text for d in executor.transcribe(paths) if d.turns}
    finally:
        executor.close()
    share = str(max(1, available_cores() // 2))
    assert seen == {"c0.wav": share, "c1.wav": share}
    whisper = with_cores(WhisperTranscriber(TranscribeConfig()), 3)
    assert isinstance(whisper, WhisperTranscriber) and whisper.cores == 3


def test_cli_workers_option_and_env(calls_dir: Path, tmp_path: Path) -> None:
    env = {
        "OBJECTIONS_DB": str(tmp_path / "cli.db"),
        "OBJECTIONS_COMPONENTS": "fakes:subprocess_components",
        "OBJECTIONS_WORKERS": "2",
        "FAKE_SCRIPTS": str(write_scripts(tmp_path / "scripts.json")),
        "FAKE_LOG": str(tmp_path / "cli.log"),
    }
    args = ["run", str(calls_dir), "--out", str(tmp_path / "cli-out"), "--json"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["transcribed"] == len(SCRIPTS) and summary["failed"] == []
    assert "on 2 worker processes" in result.stderr
    assert os.getpid() not in {pid for _, pid, _ in logged(tmp_path / "cli.log")}


def write_scripts(path: Path) -> Path:
    path.write_text(json.dumps({n: [vars(t) for t in turns] for n, turns in SCRIPTS.items()}))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "ray"], "--executor ray needs the ray package"),
        (["--executor", "dask"], "'dask' is not one of 'local', 'ray'"),
        (["--workers", "0"], "0 is not in the range x>=1"),
    ],
)
def test_executor_usage_errors_exit_2(
    args: list[str],
    message: str,
    calls_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    monkeypatch.setenv("OBJECTIONS_DB", str(tmp_path / "u.db"))
    monkeypatch.setattr("sys.argv", ["objections", "run", str(calls_dir), "-q", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "u.db").exists(), "nothing was processed"


# --- Ray: a local instance started by the test ------------------------------------------------


@pytest.fixture(scope="module")
def local_ray():  # type: ignore[no-untyped-def]
    ray = pytest.importorskip("ray")
    import fakes

    # Ray's workers cannot import tests/fakes.py: ship the module with the fake itself.
    ray.cloudpickle.register_pickle_by_value(fakes)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()
    ray.cloudpickle.unregister_pickle_by_value(fakes)


def test_ray_actors_give_the_same_results_as_local(
    local_ray, calls_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    one, one_store = run_with(ExecutorSpec(), calls_dir, tmp_path, "local")
    messages: list[str] = []
    spec = ExecutorSpec("ray", workers=2)
    on_ray, ray_store = run_with(spec, calls_dir, tmp_path, "ray", log=messages)
    assert on_ray.transcribed == one.transcribed == len(SCRIPTS)
    assert outputs(tmp_path / "local-out") == outputs(tmp_path / "ray-out")
    assert stored_turns(one_store, calls_dir) == stored_turns(ray_store, calls_dir)
    assert any("on 2 Ray actor(s)" in m for m in messages)
    # The actors received each file's bytes, whole, and ran outside this process.
    sent = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in calls_dir.glob("*.wav")}
    work = logged(tmp_path / "ray.log")
    assert {name: sha for name, _, sha in work} == sent and len(work) == len(sent)
    assert os.getpid() not in {pid for _, pid, _ in work}
    assert local_ray.is_initialized(), "a Ray instance the run did not start is left running"


def test_failures_on_ray_actors_are_reported_per_file(
    local_ray, calls_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    fail = {"call-3.wav": "input", "call-4.wav": "a bug on the actor"}
    transcriber = LoggingScriptTranscriber(SCRIPTS, tmp_path / "rf.log", fail=fail)
    result, _ = run_with(ExecutorSpec("ray", workers=2), calls_dir, tmp_path, "rf", transcriber)
    failed = {Path(f).name: reason for f, reason in result.failed}
    assert failed == {
        "call-3.wav": "scripted bad audio",
        "call-4.wav": "internal error: RuntimeError: a bug on the actor",
    }
    assert result.calls == len(SCRIPTS) - 1 and result.transcribed == len(SCRIPTS) - 2


def test_ray_starts_no_more_actors_than_the_cluster_has_cpus(
    local_ray, calls_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    messages: list[str] = []
    result, _ = run_with(ExecutorSpec("ray", workers=3), calls_dir, tmp_path, "cap", log=messages)
    assert result.transcribed == len(SCRIPTS) and result.failed == []
    assert any("the Ray cluster has 2 CPU(s): starting 2 actor(s), not 3" in m for m in messages)
    assert any("on 2 Ray actor(s)" in m for m in messages)


def test_ray_actors_get_work_only_once_they_have_started(
    local_ray, calls_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(local_ray, "cluster_resources", lambda: {"CPU": 3.0})
    messages: list[str] = []
    spec = ExecutorSpec("ray", workers=3)
    result, _ = run_with(spec, calls_dir, tmp_path, "wait", log=messages)
    assert any("on 3 Ray actor(s)" in m for m in messages), "one of them has no CPU to start on"
    assert result.transcribed == len(SCRIPTS) and result.failed == []
    assert len({pid for _, pid, _ in logged(tmp_path / "wait.log")}) <= 2


def test_a_file_that_cannot_be_read_fails_alone_on_ray(
    local_ray, calls_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    factory = transcriber_factory(LoggingScriptTranscriber(SCRIPTS, tmp_path / "r.log"))
    assert factory is not None
    paths = [calls_dir / "call-0.wav", calls_dir / "gone.wav", calls_dir / "call-1.wav"]
    executor = RayExecutor(factory, 2, None, len(paths))
    try:
        done = {d.path.name: d for d in executor.transcribe(paths)}
    finally:
        executor.close()
    assert done["gone.wav"].problem == "cannot read it: No such file or directory"
    assert done["call-0.wav"].turns and done["call-1.wav"].turns


# --- the real model ----------------------------------------------------------------------------

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


@pytest.mark.real
def test_two_whisper_workers_give_the_same_turns_as_one() -> None:
    from objections.config import load_config

    config = load_config(RECORDINGS / "objections.toml")
    whisper = WhisperTranscriber(config.transcribe, config.company.vocabulary)
    paths = sorted(RECORDINGS.glob("*.ogg"))[:2]
    here = {d.path: (d.turns, d.stats) for d in LocalExecutor(whisper).transcribe(paths)}
    factory = transcriber_factory(whisper)
    assert factory is not None
    executor = ProcessExecutor(factory, 2)
    try:
        there = {d.path: (d.turns, d.stats) for d in executor.transcribe(paths)}
    finally:
        executor.close()
    assert all(turns for turns, _ in here.values())
    assert there == here
