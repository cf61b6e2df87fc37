"""Fakes for the fast test layer: they count their calls, so tests can prove a rerun does no
new work. The real models are exercised in test_real.py."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import wave
from pathlib import Path

import numpy as np

from objections.errors import InputError
from objections.models import Turn

DIM = 64


class CountingEmbedder:
    """Hashed bag of words: similar wording gives similar vectors, deterministically."""

    id = "fake-embedder:v1"

    def __init__(self) -> None:
        self.texts_embedded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z']+", text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM
                out[row, bucket] += 1.0
            out[row, 0] += 0.01  # no all-zero rows
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class ScriptTranscriber:
    """'Transcribes' an audio file by returning the turns scripted for its file name."""

    id = "fake-transcriber:v1"

    def __init__(self, scripts: dict[str, list[Turn]]) -> None:
        self.scripts = scripts
        self.files_transcribed = 0

    def transcribe(self, path: Path) -> list[Turn]:
        self.files_transcribed += 1
        return [Turn(**vars(t)) for t in self.scripts[path.name]]


def stereo_turns(turns: list[tuple[str, str]]) -> list[Turn]:
    """Turns of (rep|buyer, text), rep on channel 0 and buyer on channel 1, as a dialer records."""
    clock = 0.0
    out = []
    for who, text in turns:
        length = len(text.split()) / 2.5
        channel = 0 if who == "rep" else 1
        out.append(Turn(f"channel {channel}", clock, clock + length, text, channel=channel))
        clock += length + 0.5
    return out


def write_audio_stub(path: Path) -> None:
    """A tenth of a second of near-silent audio standing in for a call (the pipeline checks that
    audio decodes before a transcriber sees it): unique per file name, so each hashes to its own
    call."""
    seed = int(hashlib.md5(path.name.encode()).hexdigest()[:8], 16)
    samples = np.random.default_rng(seed).integers(-8, 8, 1600).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(samples.tobytes())


PRICE = [
    "Honestly the per seat price is just too expensive for a team our size.",
    "I mean the price per seat is a lot more than we budgeted, that's a problem.",
    "The cost per user is too high for us, we can't justify that kind of spend.",
    "Yeah but the per seat cost worries me, it's too expensive honestly.",
]
SECURITY = [
    "Our security team will want a SOC 2 report and I'm worried about where the data lives.",
    "I'm concerned about data privacy, we can't have customer data leaving the region.",
    "Security is going to be a problem unless you have SOC 2 and encryption at rest.",
    "My worry is compliance, our auditors are strict about data security and privacy.",
]
NEUTRAL = [
    "We have about forty people on the finance team.",
    "Thursday works for the follow up.",
    "That sounds good, thanks for walking me through it.",
]


def write_transcript_call(path: Path, call_id: str, day: str, objections: list[str]) -> None:
    """A native JSON call: a rep, a buyer, neutral talk and the given objections."""
    turns = [
        {
            "speaker": "Sam Seller",
            "start": 0.0,
            "end": 4.0,
            "text": "Thanks for making the time, tell me about your process today.",
        }
    ]
    clock = 5.0
    for n, text in enumerate(NEUTRAL[:1] + objections + NEUTRAL[1:]):
        turns.append({"speaker": "Dana Buyer", "start": clock, "end": clock + 6, "text": text})
        clock += 7
        turns.append(
            {
                "speaker": "Sam Seller",
                "start": clock,
                "end": clock + 3,
                "text": f"Understood, let me note that down, point {n}.",
            }
        )
        clock += 4
    doc = {
        "call_id": call_id,
        "date": day,
        "account": f"Account {call_id}",
        "stage": "demo",
        "outcome": "lost" if call_id.endswith("1") else "open",
        "speakers": {"Sam Seller": "rep", "Dana Buyer": "buyer"},
        "turns": turns,
    }
    path.write_text(json.dumps(doc))


class LoggingScriptTranscriber(ScriptTranscriber):
    """A ScriptTranscriber that can run in another process or on a Ray actor: it is picklable,
    and it counts its work by appending "name pid sha256-of-the-bytes-it-read" to `log`, so a
    test sees which files were transcribed, where, and that their bytes arrived whole. Names in
    `fail` raise what they map to ("input": bad audio; anything else: a bug), except "exit" (the
    process dies at once, as when it is killed or out of memory) and "hang" (a minute's work);
    `delay` seconds per file make a run slow enough to kill."""

    def __init__(
        self,
        scripts: dict[str, list[Turn]],
        log: Path,
        delay: float = 0.0,
        fail: dict[str, str] | None = None,
    ) -> None:
        super().__init__(scripts)
        self.log, self.delay, self.fail = log, delay, fail or {}

    def transcribe(self, path: Path) -> list[Turn]:
        if self.fail.get(path.name) == "exit":
            os._exit(1)
        time.sleep(60.0 if self.fail.get(path.name) == "hang" else self.delay)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with self.log.open("a") as fh:
            fh.write(f"{path.name} {os.getpid()} {digest}\n")
        if path.name in self.fail:
            if self.fail[path.name] == "input":
                raise InputError(str(path), "scripted bad audio")
            raise RuntimeError(self.fail[path.name])
        return super().transcribe(path)


def logged(log: Path) -> list[tuple[str, int, str]]:
    """LoggingScriptTranscriber's log: (file name, process id, sha256) per transcription."""
    if not log.exists():
        return []
    rows = [line.split() for line in log.read_text().splitlines()]
    return [(name, int(pid), sha) for name, pid, sha in rows]


def subprocess_components(config: object) -> object:
    """For OBJECTIONS_COMPONENTS="fakes:subprocess_components": the CLI in a subprocess with a
    slow logging fake transcriber (scripts from the JSON file FAKE_SCRIPTS, log FAKE_LOG, delay
    FAKE_DELAY), the counting embedder and the keyword detector."""
    from objections.detect import KeywordDetector
    from objections.pipeline import Components

    scripts = {
        name: [Turn(**t) for t in turns]
        for name, turns in json.loads(Path(os.environ["FAKE_SCRIPTS"]).read_text()).items()
    }
    transcriber = LoggingScriptTranscriber(
        scripts, Path(os.environ["FAKE_LOG"]), float(os.environ.get("FAKE_DELAY", "0"))
    )
    return Components(transcriber, CountingEmbedder(), KeywordDetector())


class CoresTranscriber:
    """Answers every file with one turn saying how many threads the libraries in this process
    were told to use: where it runs, what share of the machine it takes."""

    id = "fake-cores:v1"

    def transcribe(self, path: Path) -> list[Turn]:
        return [Turn("speaker", 0.0, 1.0, os.environ.get("OMP_NUM_THREADS", "unset"))]
