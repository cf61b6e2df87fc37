"""Crash safety: `objections run` SIGKILLed mid-run loses nothing it finished; the next run
completes the rest, redoes none of it, duplicates no row, and publishes what an uninterrupted
run publishes. The real command runs in a subprocess, with fake models (OBJECTIONS_COMPONENTS)
and a transcriber slow enough to be killed while it works."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import (
    PRICE,
    SECURITY,
    logged,
    stereo_turns,
    write_audio_stub,
    write_transcript_call,
)

TESTS = Path(__file__).resolve().parent
SCRIPTS = {
    f"call-{n}.wav": stereo_turns(
        [("rep", "Thanks for joining, how do you approve invoices today?"),
         ("buyer", PRICE[n % 4]), ("rep", "Understood."), ("buyer", SECURITY[(n + 2) % 4])]
    )
    for n in range(5)
}  # fmt: skip
DELAY = 1.0  # seconds per file in the killed run: it is still transcribing when it is killed
TABLES = {  # each table's key: no two rows may share one
    "calls": "sha256",
    "transcripts": "sha256, transcriber",
    "embeddings": "text_sha, embedder",
    "call_texts": "sha256, text_sha",
    "themes": "id",
}


@pytest.fixture
def calls_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in SCRIPTS:
        write_audio_stub(folder / name)
    write_transcript_call(folder / "T-1.json", "T-1", "2026-11-02", [PRICE[2], SECURITY[1]])
    write_transcript_call(folder / "T-2.json", "T-2", "2026-11-09", [SECURITY[3]])
    (tmp_path / "scripts.json").write_text(
        json.dumps({n: [vars(t) for t in turns] for n, turns in SCRIPTS.items()})
    )
    return folder


def start_run(
    calls: Path, tmp_path: Path, tag: str, db: str, *extra: str, delay: float = 0.0
) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "OBJECTIONS_COMPONENTS": "fakes:subprocess_components",
        "OBJECTIONS_DB": str(tmp_path / db),
        "FAKE_SCRIPTS": str(tmp_path / "scripts.json"),
        "FAKE_LOG": str(tmp_path / f"{tag}.log"),
        "FAKE_DELAY": str(delay),
    }
    command = [sys.executable, "-m", "objections", "run", str(calls), "--json", "-q"]
    command += ["--out", str(tmp_path / f"{db}-out"), *extra]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so its workers can be reaped too
    )


def finish(process: subprocess.Popen) -> dict:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return json.loads(stdout)


def stored_transcripts(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM transcripts").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def kill_after_first_transcript(process: subprocess.Popen, db: Path) -> tuple[int, list[int]]:
    """SIGKILL the run (only the run: not its worker processes) once a transcript is saved;
    how many were saved by then, and the processes it had started."""
    deadline = time.monotonic() + 90
    while stored_transcripts(db) == 0:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "no transcript was saved"
        time.sleep(0.05)
    started = children(process.pid)
    process.kill()
    process.wait(timeout=30)
    return stored_transcripts(db), started


def children(pid: int) -> list[int]:
    """Linux: the processes `pid` started (its workers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def wait_gone(pids: list[int], seconds: float = 30) -> list[int]:
    """The pids still alive after up to `seconds`."""
    deadline = time.monotonic() + seconds
    while (alive := [p for p in pids if Path(f"/proc/{p}").exists()]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    return alive


def table_rows(db: Path) -> dict[str, tuple[int, int]]:
    """Each table's (rows, distinct keys)."""
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(
                f"SELECT COUNT(*), COUNT(DISTINCT {key.replace(', ', ' || ')}) FROM {table}"
            ).fetchone()
            for table, key in TABLES.items()
        }


def published(out: Path) -> dict[str, object]:
    doc = json.loads((out / "themes.json").read_text())
    doc.pop("generated_at")
    briefs = {p.name: p.read_text() for p in sorted((out / "briefs").glob("*.md"))}
    return {"themes": doc, "objections": (out / "objections.jsonl").read_text(), "briefs": briefs}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_killed_run_loses_nothing_and_the_next_completes_it(
    workers: str, calls_dir: Path, tmp_path: Path
) -> None:
    first = start_run(calls_dir, tmp_path, "first", "crash.db", "--workers", workers, delay=DELAY)
    saved, workers_started = kill_after_first_transcript(first, tmp_path / "crash.db")
    assert first.returncode == -signal.SIGKILL
    assert 1 <= saved < len(SCRIPTS), "killed while transcribing"
    # Orphaned worker processes notice and end (they would otherwise wait forever).
    try:
        assert wait_gone(workers_started) == []
    finally:
        with contextlib.suppress(ProcessLookupError):  # nothing left: as it should be
            os.killpg(first.pid, signal.SIGKILL)
    if workers == "2":
        assert workers_started, "the run transcribed in worker processes"
    done_before = {name for name, _, _ in logged(tmp_path / "first.log")}

    summary = finish(start_run(calls_dir, tmp_path, "second", "crash.db", "--workers", workers))
    redone = [name for name, _, _ in logged(tmp_path / "second.log")]
    assert summary["transcribed"] == len(SCRIPTS) - saved == len(redone)
    assert summary["calls"] == len(SCRIPTS) + 2 and summary["failed"] == []
    # What the killed run saved was reused: only files it had not finished were transcribed.
    assert len(set(redone)) == len(redone)
    assert set(redone) | done_before == set(SCRIPTS)
    assert len(done_before - set(redone)) == saved

    finish(start_run(calls_dir, tmp_path, "clean", "clean.db", "--workers", workers))
    rows = table_rows(tmp_path / "crash.db")
    assert all(count == distinct for count, distinct in rows.values()), rows
    assert rows == table_rows(tmp_path / "clean.db"), "the same rows as an uninterrupted run"
    assert rows["transcripts"] == (len(SCRIPTS), len(SCRIPTS))
    assert published(tmp_path / "crash.db-out") == published(tmp_path / "clean.db-out")
