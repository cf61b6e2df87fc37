"""The whole pipeline with fakes: output contract, incremental reruns, bad files in a batch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import (
    PRICE,
    SECURITY,
    CountingEmbedder,
    ScriptTranscriber,
    stereo_turns,
    write_audio_stub,
    write_transcript_call,
)

import objections.transcribe as transcribe_module
from objections.config import CompanyConfig, Config, TranscribeConfig
from objections.detect import KeywordDetector
from objections.errors import NothingToDo
from objections.models import Objection, Sentence
from objections.pipeline import Components, Pipeline, RunOptions
from objections.store import Store
from objections.transcribe import WhisperTranscriber

AUDIO_SCRIPTS = {
    "call-a.wav": stereo_turns(
        [("rep", "Hi, thanks for joining, how do you handle invoices today?"),
         ("buyer", PRICE[0]), ("rep", "Got it."), ("buyer", SECURITY[0])]
    ),
    "call-b.wav": stereo_turns(
        [("rep", "Tell me about your team."), ("buyer", PRICE[1]),
         ("rep", "Okay, noted."), ("buyer", "Thursday works for the follow up.")]
    ),
}  # fmt: skip


@pytest.fixture
def calls_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in AUDIO_SCRIPTS:
        write_audio_stub(folder / name)
    write_transcript_call(folder / "T-1.json", "T-1", "2026-11-02", [PRICE[2], SECURITY[1]])
    write_transcript_call(folder / "T-2.json", "T-2", "2026-11-09", [SECURITY[2], PRICE[3]])
    write_transcript_call(folder / "T-3.json", "T-3", "2026-11-16", [SECURITY[3]])
    return folder


def make_pipeline(store: Store) -> tuple[Pipeline, ScriptTranscriber, CountingEmbedder]:
    transcriber, embedder = ScriptTranscriber(AUDIO_SCRIPTS), CountingEmbedder()
    config = Config(company=CompanyConfig(name="Acme", reps=["Sam Seller"]))
    # The keyword detector: the classifier needs real embeddings (see test_real.py).
    parts = Components(transcriber=transcriber, embedder=embedder, detector=KeywordDetector())
    pipeline = Pipeline(config, store, parts)
    return pipeline, transcriber, embedder


def run(pipeline: Pipeline, inputs: list[Path], out: Path):
    return pipeline.run(RunOptions(inputs=inputs, out=out, config=pipeline.config))


def test_run_writes_the_output_contract(calls_dir: Path, tmp_path: Path) -> None:
    pipeline, _, _ = make_pipeline(Store(tmp_path / "s.db"))
    result = run(pipeline, [calls_dir], tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "themes.json").read_text())
    assert {"generated_at", "calls", "themes"} <= doc.keys()
    assert doc["calls"] == 5 and result.calls == 5
    theme_keys = {"id", "rank", "label", "category", "mentions", "calls", "accounts", "score",
                  "trend", "keywords", "competitors", "quotes", "assets", "coverage",
                  "brief_type", "brief"}  # fmt: skip
    assert doc["themes"], "the price and security objections should form themes"
    for theme in doc["themes"]:
        assert theme_keys <= theme.keys()
        assert theme["coverage"] == "gap" and theme["brief"]  # no assets: every theme is a gap
        assert (tmp_path / "out" / theme["brief"]).is_file()
        for quote in theme["quotes"]:
            assert {"text", "call_id", "start", "end"} <= quote.keys()
    assert {t["category"] for t in doc["themes"]} >= {"price", "security"}
    lines = (tmp_path / "out" / "objections.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    keys = {"call_id", "source", "speaker", "role", "start", "end", "text", "category",
            "confidence", "theme_id"}  # fmt: skip
    assert rows and all(keys <= r.keys() for r in rows)
    assert all(r["role"] == "buyer" for r in rows), "rep sentences never become objections"
    assert any(r["call_id"] == "call-a" and r["text"] == PRICE[0] for r in rows)
    assert (tmp_path / "out" / "report.html").stat().st_size > 1000


def test_second_run_transcribes_and_embeds_nothing(calls_dir: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    first, transcriber, embedder = make_pipeline(store)
    one = run(first, [calls_dir], tmp_path / "out")
    assert transcriber.files_transcribed == 2 and embedder.texts_embedded > 0

    second, transcriber2, embedder2 = make_pipeline(store)
    two = run(second, [calls_dir], tmp_path / "out")
    assert transcriber2.files_transcribed == 0
    assert embedder2.texts_embedded == 0
    assert [t["id"] for t in one.doc["themes"]] == [t["id"] for t in two.doc["themes"]]


def test_a_new_call_is_the_only_new_work(calls_dir: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    run(make_pipeline(store)[0], [calls_dir], tmp_path / "out")
    write_audio_stub(calls_dir / "call-c.wav")
    AUDIO_SCRIPTS["call-c.wav"] = AUDIO_SCRIPTS["call-b.wav"]
    try:
        pipeline, transcriber, _ = make_pipeline(store)
        result = run(pipeline, [calls_dir], tmp_path / "out")
    finally:
        del AUDIO_SCRIPTS["call-c.wav"]
    assert transcriber.files_transcribed == 1
    assert result.transcribed == 1 and result.calls == 6


def test_bad_files_are_reported_and_the_rest_processed(calls_dir: Path, tmp_path: Path) -> None:
    (calls_dir / "empty.mp3").write_bytes(b"")
    (calls_dir / "broken.json").write_text("{not json")
    (calls_dir / "latin1.vtt").write_bytes(
        "WEBVTT\n\n00:00.000 --> 00:01.000\nJosé: olé\xe9".encode("latin-1")
    )
    pipeline, _, _ = make_pipeline(Store(tmp_path / "s.db"))
    result = run(pipeline, [calls_dir], tmp_path / "out")
    failed = {Path(f).name: reason for f, reason in result.failed}
    assert set(failed) == {"empty.mp3", "broken.json", "latin1.vtt"}
    assert "empty" in failed["empty.mp3"] and "JSON" in failed["broken.json"]
    assert result.calls == 5, "the good calls are all processed"
    assert (tmp_path / "out" / "themes.json").is_file()


def test_the_same_call_under_two_names_is_processed_once(calls_dir: Path, tmp_path: Path) -> None:
    (calls_dir / "copy-of-T-1.json").write_bytes((calls_dir / "T-1.json").read_bytes())
    pipeline, _, _ = make_pipeline(Store(tmp_path / "s.db"))
    result = run(pipeline, [calls_dir], tmp_path / "out")
    assert result.calls == 5
    assert [Path(f).name for f, _ in result.duplicates] == ["copy-of-T-1.json"]


def test_no_inputs_is_nothing_to_do(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    pipeline, _, _ = make_pipeline(Store(tmp_path / "s.db"))
    with pytest.raises(NothingToDo):
        run(pipeline, [tmp_path / "empty"], tmp_path / "out")


def test_guessed_roles_are_shown(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "call.txt").write_text(
        "Alex: Thanks for the time, how do you handle approvals today? Our platform integrates.\n"
        "Sam: We use email, honestly the price per seat worries me, it's too expensive.\n"
    )
    messages: list[str] = []
    transcriber, embedder = ScriptTranscriber({}), CountingEmbedder()
    parts = Components(transcriber=transcriber, embedder=embedder, detector=KeywordDetector())
    pipeline = Pipeline(Config(), Store(tmp_path / "s.db"), parts, log=messages.append)
    run(pipeline, [folder], tmp_path / "out")
    assert any(m.startswith("roles: call: rep Alex; buyer Sam (heuristic") for m in messages)


class ScriptedWhisper(WhisperTranscriber):
    """Whisper's device choice with a scripted transcription."""

    def __init__(self, scripts: dict) -> None:
        super().__init__(TranscribeConfig(cuda_model=""))
        self.script = ScriptTranscriber(scripts)

    def transcribe(self, path: Path) -> list:
        return self.script.transcribe(path)


def test_why_the_gpu_sits_idle_is_said_once_when_calls_are_transcribed(
    calls_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = "Library libcublas.so.12 is not found or cannot be loaded"
    checked: list[str] = []
    monkeypatch.setattr(transcribe_module, "_cuda_available", lambda: True)
    monkeypatch.setattr(transcribe_module, "gpu_problem", lambda m: checked.append(m) or problem)
    messages: list[str] = []
    transcriber = ScriptedWhisper(AUDIO_SCRIPTS)
    assert transcriber.device == "cuda" and not checked  # nothing loads until calls need it
    parts = Components(transcriber=transcriber, embedder=CountingEmbedder(),
                       detector=KeywordDetector())  # fmt: skip
    pipeline = Pipeline(Config(), Store(tmp_path / "s.db"), parts, log=messages.append)
    run(pipeline, [calls_dir], tmp_path / "out")
    assert transcriber.device == "cpu"
    said = [m for m in messages if problem in m]
    assert said == [f"transcribing on the CPU: Whisper cannot use the GPU ({problem})"]
    run(pipeline, [calls_dir], tmp_path / "out")  # nothing left to transcribe: nothing said
    assert len([m for m in messages if problem in m]) == 1


class DoubtingDetector(KeywordDetector):
    """The keyword detector, plus one short follow-up it reads as proof with little confidence."""

    FOLLOW_UP = "That would be the only way I'd believe it."

    def detect(self, sentences: list[Sentence], vectors: np.ndarray) -> list[Objection]:
        found = super().detect(sentences, vectors)
        follow = [s for s in sentences if s.text == self.FOLLOW_UP]
        return found + [Objection(s, "proof", 0.9, category_confidence=0.3) for s in follow]


def test_a_doubted_short_follow_up_takes_the_category_of_the_objection_before(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    write_transcript_call(
        folder / "F-1.json", "F-1", "2026-11-02", [PRICE[0], DoubtingDetector.FOLLOW_UP]
    )
    parts = Components(embedder=CountingEmbedder(), detector=DoubtingDetector())
    pipeline = Pipeline(Config(), Store(tmp_path / "s.db"), parts)
    run(pipeline, [folder], tmp_path / "out")
    rows = [json.loads(line) for line in (tmp_path / "out" / "objections.jsonl").open()]
    by_text = {r["text"]: r["category"] for r in rows}
    assert by_text[PRICE[0]] == "price"
    assert by_text[DoubtingDetector.FOLLOW_UP] == "price"
