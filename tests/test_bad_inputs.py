"""Bad input: every broken, empty, foreign or unreadable file is named with what is wrong, the
batch goes on, the summary lists it, and the exit code says so (1). Nothing is lost from the good
calls and nothing is invented from the bad ones.

Every file is synthesized here. Audio is decoded for real (PyAV, through
`objections.audio.load_channels`); the models are fakes, except in the tests marked `real`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
from fakes import PRICE, SECURITY, CountingEmbedder, stereo_turns, write_transcript_call

from objections import cli as cli_module
from objections import containers
from objections.audio import load_channels
from objections.cli import main
from objections.config import CompanyConfig, Config, TranscribeConfig
from objections.containers import check_audio, mp3_promised_frames, ogg_is_complete
from objections.detect import KeywordDetector
from objections.errors import InputError
from objections.models import Turn
from objections.pipeline import Components, Pipeline, RunOptions
from objections.store import Store
from objections.transcribe import speech_problem, speech_stats

RATE = 16000
Invoke = Callable[[list[str]], SimpleNamespace]

# --- synthesized audio --------------------------------------------------------------------------


def encode(
    path: Path,
    samples: np.ndarray,
    rate: int = RATE,
    codec: str = "pcm_s16le",
    options: dict[str, str] | None = None,
) -> Path:
    """Write float samples (frames x channels, or mono) with PyAV in the container the name says."""
    frames = samples.reshape(len(samples), -1)
    layout = "mono" if frames.shape[1] == 1 else "stereo"
    pcm = (np.clip(frames, -1, 1) * 32767).astype("<i2")
    # Ogg pages of 0.2 s, as recorders flush them (one page per file makes any cut unreadable).
    if options is None:
        options = {"page_duration": "200000"} if path.suffix == ".ogg" else {}
    with av.open(str(path), "w", options=options) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        block = 960 if codec in ("libopus", "opus") else 1024
        for start in range(0, len(pcm), block):
            chunk = np.ascontiguousarray(pcm[start : start + block].T.reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def murmur(seconds: float, seed: int, channels: int = 2) -> np.ndarray:
    """Quiet noise: decodable audio standing in for a call whose words the fake 'hears'."""
    return np.random.default_rng(seed).normal(0, 0.02, (int(seconds * RATE), channels))


def tones(seconds: float = 4.0) -> np.ndarray:
    """Music: a chord of sine tones with a slow tremolo."""
    t = np.arange(int(seconds * RATE)) / RATE
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0))
    return 0.2 * chord * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))


def video_without_audio(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def cut_in_half(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# --- fakes where a model would run --------------------------------------------------------------


class DecodingTranscriber:
    """Decodes the file for real, then 'hears' the turns scripted for its name. Anything else
    (music, silence, noise) holds no speech, as Whisper with VAD finds."""

    id = "decoding-fake:v1"

    def __init__(self, scripts: dict[str, list[Turn]]) -> None:
        self.scripts = scripts
        self.files_transcribed = 0

    def transcribe(self, path: Path) -> list[Turn]:
        self.files_transcribed += 1
        load_channels(path)
        # The same audio says the same words, whatever the file is called.
        same = [n for n in self.scripts if (path.parent / n).is_file()
                and (path.parent / n).read_bytes() == path.read_bytes()]  # fmt: skip
        return [Turn(**vars(t)) for t in self.scripts.get(same[0] if same else path.name, [])]


SCRIPTS = {
    "good-a.wav": stereo_turns(
        [("rep", "How do you handle invoices today?"), ("buyer", PRICE[0]),
         ("rep", "Got it."), ("buyer", SECURITY[0])]
    ),
    "good-c.ogg": stereo_turns(
        [("rep", "Tell me about your team."), ("buyer", PRICE[1]),
         ("rep", "Okay."), ("buyer", SECURITY[2])]
    ),
}  # fmt: skip


def components() -> Components:
    return Components(
        transcriber=DecodingTranscriber(SCRIPTS),
        embedder=CountingEmbedder(),
        detector=KeywordDetector(),
    )


def write_good_calls(folder: Path) -> None:
    """Two audio calls and two transcripts, all fine."""
    folder.mkdir(parents=True, exist_ok=True)
    encode(folder / "good-a.wav", murmur(1.0, 1))
    encode(folder / "good-c.ogg", murmur(1.0, 2), rate=48000, codec="libopus")
    write_transcript_call(folder / "T-1.json", "T-1", "2026-11-02", [PRICE[2], SECURITY[1]])
    write_transcript_call(folder / "T-2.json", "T-2", "2026-11-09", [PRICE[3], SECURITY[3]])


GOOD_CALLS = 4


@pytest.fixture
def invoke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Invoke:
    """The CLI as the console script runs it (exit codes, one-line errors), with the fakes."""

    def build(config, store, progress=None, log=lambda m: None):  # type: ignore[no-untyped-def]
        return Pipeline(config, store, components(), progress, log)

    monkeypatch.setattr(cli_module, "Pipeline", build)

    def run(args: list[str]) -> SimpleNamespace:
        monkeypatch.setenv("OBJECTIONS_DB", str(tmp_path / "s.db"))
        monkeypatch.setattr("sys.argv", ["objections", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        return SimpleNamespace(code=exit_info.value.code, out=captured.out, err=captured.err)

    return run


# --- the matrix ---------------------------------------------------------------------------------


CP1252_SRT = "1\n00:00:01,000 --> 00:00:02,000\nIt’s too dear\n"


def _latin1(text: str) -> bytes:
    return text.encode("latin-1")


# name -> (write the bad file into the folder, returning its path; what the error must say)
BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "empty wav": (lambda d: _write(d / "empty.wav", b""), r"empty file \(0 bytes\)"),
    "empty transcript": (lambda d: _write(d / "empty.vtt", b""), r"empty file"),
    "wav cut in half": (
        lambda d: cut_in_half(encode(d / "cut.wav", murmur(4.0, 3))),
        r"audio is truncated",
    ),
    "wav cut at a packet boundary": (
        lambda d: cut_at_packet(encode(d / "cut2.wav", murmur(8.0, 4))),
        r"audio is truncated: its header promises 0:00:08, the file holds 0:00:01",
    ),
    "flac cut in half": (
        lambda d: cut_in_half(encode(d / "cut.flac", murmur(6.0, 5), codec="flac")),
        r"audio is truncated",
    ),
    "m4a cut in half": (
        lambda d: cut_in_half(encode(d / "cut.m4a", murmur(6.0, 6), codec="aac")),
        r"truncated|not audio",
    ),
    "ogg opus cut in half": (
        lambda d: cut_in_half(opus(d / "cut-opus.ogg", 6.0, 11)),
        r"audio is truncated: the Ogg stream breaks off at 0:00:0[23] without its end page",
    ),
    "ogg vorbis cut in half": (
        lambda d: cut_in_half(vorbis(d / "cut-vorbis.ogg", 6.0, 12)),
        r"audio is truncated: the Ogg stream breaks off at 0:00:0[23] without its end page",
    ),
    "mp3 cut in half": (
        lambda d: cut_in_half(mp3(d / "cut.mp3", 6.0, 13)),
        r"audio is truncated: its header promises 0:00:06, the file holds 0:00:0[23]",
    ),
    "random bytes named .wav": (
        lambda d: _write(d / "noise.wav", np.random.default_rng(7).bytes(50_000)),
        r"not audio that FFmpeg can read",
    ),
    "random bytes named .mp3": (
        lambda d: _write(d / "noise.mp3", np.random.default_rng(8).bytes(300_000)),
        r"not (decodable )?audio",
    ),
    "text file named .mp3": (
        lambda d: _write(d / "notes.mp3", b"this is a text file, not a recording\n" * 40),
        r"not audio that FFmpeg can read",
    ),
    "video with no audio track": (
        lambda d: video_without_audio(d / "screen.mp4"),
        r"a video with no audio track",
    ),
    "music only": (lambda d: encode(d / "hold-music.wav", tones()), r"no speech found"),
    "silence only": (
        lambda d: encode(d / "silence.wav", np.zeros((RATE * 4, 2))),
        r"no speech found",
    ),
    "vtt without header": (
        lambda d: _write(d / "bad.vtt", b"00:00.000 --> 00:01.000\nAna: hi there\n"),
        r"not a WebVTT file",
    ),
    "vtt without cues": (lambda d: _write(d / "nocues.vtt", b"WEBVTT\n\nNOTE empty\n"), "no cues"),
    "vtt in latin-1": (
        lambda d: _write(d / "latin1.vtt", _latin1("WEBVTT\n\n00:00.000 --> 00:02.000\nJosé: é\n")),
        r"not UTF-8 text \(byte 0xe9",
    ),
    "srt garbage": (lambda d: _write(d / "bad.srt", b"1\nhello\n\n2\nworld\n"), r"no cues"),
    "srt in cp1252": (
        lambda d: _write(d / "cp.srt", CP1252_SRT.encode("cp1252")),
        r"not UTF-8 text",
    ),
    "json truncated": (lambda d: _write(d / "half.json", b'{"turns": [{"speaker": "A",'), "JSON"),
    "json of the wrong shape": (lambda d: _write(d / "list.json", b"[1, 2, 3]"), r"'turns' list"),
    "json in latin-1": (
        lambda d: _write(d / "l1.json", _latin1('{"turns": [{"text": "café"}]}')),
        r"not UTF-8",
    ),
    "json with no speech": (
        lambda d: _write(d / "quiet.json", b'{"turns": [{"speaker": "A", "text": "  "}]}'),
        r"no speech",
    ),
    "manifest without an id column": (
        lambda d: _write(d / "manifest.csv", b"name,when\nx,2026-01-01\n"),
        r"needs a 'call_id' or 'file' column; calls processed without it",
    ),
    "manifest in latin-1": (
        lambda d: _write(d / "manifest.csv", _latin1("call_id,account\nT-1,Café Ltd\n")),
        r"manifest is not UTF-8 text",
    ),
    "manifest with a bad date": (
        lambda d: _write(d / "manifest.csv", b"call_id,date\nT-1,next tuesday\n"),
        r"bad date 'next tuesday'",
    ),
}


def cut_at_packet(path: Path) -> Path:
    """A stereo WAV cut after 20 whole packets: no partial sample gives the cut away; only the
    header's promised length does."""
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"data") + 8 + 4096 * 20])
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def error_lines(err: str, name: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:") and name in line]


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_input_is_named_and_the_batch_goes_on(
    case: str, tmp_path: Path, invoke: Invoke
) -> None:
    calls = tmp_path / "calls"
    write_good_calls(calls)
    make, reason = BAD[case]
    bad = make(calls)
    out = tmp_path / "out"
    result = invoke(["run", str(calls), "--out", str(out), "--json"])
    assert result.code == 1, result.err
    lines = error_lines(result.err, bad.name)
    assert len(lines) == 1, f"one error line naming {bad.name}:\n{result.err}"
    assert re.search(reason, lines[0]), lines[0]
    assert "Traceback" not in result.err and "internal error" not in result.err
    summary = json.loads(result.out)
    assert [Path(f["file"]).name for f in summary["failed"]] == [bad.name]
    assert re.search(reason, summary["failed"][0]["error"])
    assert summary["calls"] == GOOD_CALLS, "every good call is still processed"
    listed = result.err.split("input(s) failed:")[1]
    assert bad.name in listed, "the end-of-run summary lists what failed"
    rows = [json.loads(line) for line in (out / "objections.jsonl").open()]
    assert {r["call_id"] for r in rows} == {"good-a", "good-c", "T-1", "T-2"}
    assert not any(Path(r["source"]).name == bad.name for r in rows), "nothing invented"


def test_bad_inputs_named_explicitly(tmp_path: Path, invoke: Invoke) -> None:
    calls = tmp_path / "calls"
    write_good_calls(calls)
    docx = _write(tmp_path / "notes.docx", b"PK\x03\x04 not a call")
    result = invoke(["run", str(calls), str(docx), str(tmp_path / "missing.wav"), "--json"])
    assert result.code == 1
    failed = {Path(f["file"]).name: f["error"] for f in json.loads(result.out)["failed"]}
    assert failed["notes.docx"].startswith("unsupported file type (.docx")
    assert failed["missing.wav"] == "no such file"


def test_a_file_that_cannot_be_read(tmp_path: Path, invoke: Invoke) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: file permissions do not apply, chmod 000 stays readable")
    calls = tmp_path / "calls"
    write_good_calls(calls)
    locked = encode(calls / "locked.wav", murmur(1.0, 9))
    locked.chmod(0)
    try:
        result = invoke(["run", str(calls), "--out", str(tmp_path / "out")])
    finally:
        locked.chmod(0o644)
    assert result.code == 1
    assert error_lines(result.err, "locked.wav") == [f"error: {locked}: permission denied"]


def test_a_file_the_os_refuses_to_read(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same path as chmod 000, simulated, so it also runs as root."""
    calls = tmp_path / "calls"
    write_good_calls(calls)
    locked = encode(calls / "locked.wav", murmur(1.0, 9))
    real_open = Path.open

    def guarded(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.name == "locked.wav":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)
    result = invoke(["run", str(calls), "--out", str(tmp_path / "out"), "--json"])
    assert result.code == 1
    assert error_lines(result.err, "locked.wav") == [f"error: {locked}: permission denied"]
    assert json.loads(result.out)["calls"] == GOOD_CALLS


def test_an_empty_folder_is_nothing_to_do(tmp_path: Path, invoke: Invoke) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke(["run", str(tmp_path / "empty"), "--out", str(tmp_path / "out")])
    assert result.code == 3
    assert result.err.strip() == "error: no audio or transcript files found in the inputs"


def test_the_same_call_under_two_names_is_processed_once(tmp_path: Path, invoke: Invoke) -> None:
    calls = tmp_path / "calls"
    write_good_calls(calls)
    shutil.copy(calls / "good-a.wav", calls / "good-a copy.wav")
    shutil.copy(calls / "T-1.json", calls / "T-1 (1).json")
    result = invoke(["run", str(calls), "--out", str(tmp_path / "out"), "--json"])
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["calls"] == GOOD_CALLS and summary["failed"] == []
    pairs = {(Path(d["file"]).name, Path(d["same_as"]).name) for d in summary["duplicates"]}
    # The first name in folder order is kept; the other is reported as the same call.
    assert pairs == {("T-1.json", "T-1 (1).json"), ("good-a.wav", "good-a copy.wav")}


def test_a_utf16_transcript_with_a_bom_is_read(tmp_path: Path, invoke: Invoke) -> None:
    """Windows 'Unicode' saves are UTF-16 with a BOM: readable, so not lost."""
    calls = tmp_path / "calls"
    write_good_calls(calls)
    srt = f"1\n00:00:01,000 --> 00:00:04,000\nDana: {PRICE[1]}\n\n"
    (calls / "windows.srt").write_bytes("\ufeff".encode("utf-16-le") + srt.encode("utf-16-le"))
    result = invoke(["run", str(calls), "--out", str(tmp_path / "out"), "--json"])
    assert result.code == 0, result.err
    assert json.loads(result.out)["calls"] == GOOD_CALLS + 1


def test_a_bad_file_among_good_ones_changes_nothing_else(tmp_path: Path) -> None:
    """The good calls' objections, themes and briefs are identical with and without a broken
    file in the middle of the batch."""
    calls = tmp_path / "calls"
    write_good_calls(calls)

    def run(name: str) -> tuple[Path, object]:
        out = tmp_path / name
        config = Config(company=CompanyConfig(name="Acme", reps=["Sam Seller"]))
        pipeline = Pipeline(config, Store(tmp_path / f"{name}.db"), components())
        return out, pipeline.run(RunOptions(inputs=[calls], out=out, config=pipeline.config))

    clean_out, clean = run("clean")
    _write(calls / "good-b.wav", np.random.default_rng(3).bytes(40_000))  # sorts in the middle
    encode(calls / "T-15-silence.wav", np.zeros((RATE * 2, 2)))
    dirty_out, dirty = run("dirty")
    assert [Path(f).name for f, _ in dirty.failed] == ["T-15-silence.wav", "good-b.wav"]
    assert clean.failed == []

    def stable(doc: dict) -> dict:
        return {k: v for k, v in doc.items() if k != "generated_at"}

    themes = [json.loads((o / "themes.json").read_text()) for o in (clean_out, dirty_out)]
    assert stable(themes[0]) == stable(themes[1])
    assert themes[0]["themes"], "the good calls do form themes"
    assert (clean_out / "objections.jsonl").read_text() == (
        dirty_out / "objections.jsonl"
    ).read_text()
    briefs = [sorted(p.name for p in (o / "briefs").glob("*.md")) for o in (clean_out, dirty_out)]
    assert briefs[0] == briefs[1] and briefs[0]
    for name in briefs[0]:
        assert (clean_out / "briefs" / name).read_text() == (
            dirty_out / "briefs" / name
        ).read_text()


def test_a_crash_on_one_file_is_reported_and_the_batch_goes_on(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug that trips on one file names the file, keeps the batch, and exits 5 (a bug)."""
    calls = tmp_path / "calls"
    write_good_calls(calls)
    real = DecodingTranscriber.transcribe

    def flaky(self: DecodingTranscriber, path: Path) -> list[Turn]:
        if path.name == "good-a.wav":
            raise RuntimeError("boom")
        return real(self, path)

    monkeypatch.setattr(DecodingTranscriber, "transcribe", flaky)
    result = invoke(["run", str(calls), "--out", str(tmp_path / "out"), "--json"])
    assert result.code == 5
    assert error_lines(result.err, "good-a.wav")[0].endswith(
        "internal error: RuntimeError: boom (OBJECTIONS_DEBUG=1 for details)"
    )
    assert json.loads(result.out)["calls"] == GOOD_CALLS - 1


# --- Ogg and MP3 cut short ----------------------------------------------------------------------
# Neither container states its length up front. A whole Ogg stream ends with a page flagged
# end-of-stream; an MP3 from LAME or FFmpeg counts its frames in a Xing/Info header.


def opus(path: Path, seconds: float, seed: int) -> Path:
    """A 48 kHz Ogg Opus call of `seconds` (encode labels the 16 kHz samples at their rate)."""
    return encode(path, murmur(seconds * 3, seed), 48000, "libopus")


def vorbis(path: Path, seconds: float, seed: int) -> Path:
    """An Ogg Vorbis call written by sox (libvorbis), as recorders write them."""
    if not shutil.which("sox"):
        pytest.skip("sox is not installed")
    wav = encode(path.with_suffix(".src.wav"), murmur(seconds, seed))
    subprocess.run(["sox", str(wav), str(path)], check=True)
    wav.unlink()
    return path


def mp3(path: Path, seconds: float, seed: int, xing: bool = True) -> Path:
    """An MP3 from libmp3lame; FFmpeg's muxer puts an Info header (the frame count) first."""
    options = {} if xing else {"write_xing": "0"}
    return encode(path, murmur(seconds * 44100 / RATE, seed), 44100, "libmp3lame", options)


MAKERS = {"opus": opus, "vorbis": vorbis, "mp3": mp3}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_whole_ogg_and_mp3_files_pass_and_halves_are_named(kind: str, tmp_path: Path) -> None:
    whole = MAKERS[kind](tmp_path / f"whole.{'mp3' if kind == 'mp3' else 'ogg'}", 6.0, 20)
    assert check_audio(whole) == pytest.approx(6.0, abs=0.1)
    half = tmp_path / f"half{whole.suffix}"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputError) as caught:
        check_audio(half)
    assert str(caught.value).startswith(f"{half}: audio is truncated: ")
    assert "still being copied?" in caught.value.reason
    if kind == "mp3":
        assert mp3_promised_frames(whole) is not None
        assert caught.value.reason.startswith("audio is truncated: its header promises 0:00:06")
    else:
        assert ogg_is_complete(whole) is True and ogg_is_complete(half) is False
        assert "the Ogg stream breaks off at 0:00:0" in caught.value.reason


def test_an_ogg_cut_anywhere_is_named(tmp_path: Path) -> None:
    """At a page boundary (every page whole, none marks the end) and a few bytes short of the
    end (the end page is there but incomplete)."""
    whole = opus(tmp_path / "whole.ogg", 4.0, 21).read_bytes()
    last = whole.rindex(b"OggS")
    for name, keep in [("boundary.ogg", last), ("end.ogg", len(whole) - 3)]:
        cut = _write(tmp_path / name, whole[:keep])
        assert ogg_is_complete(cut) is False, name
        with pytest.raises(InputError, match="without its end page"):
            check_audio(cut)


def test_junk_after_the_end_page_is_not_a_cut(tmp_path: Path) -> None:
    """Bytes after a whole stream (a padded copy, a tag some tool appended) are skipped, also
    when they happen to hold the capture pattern: a page counts only if its checksum holds."""
    whole = vorbis(tmp_path / "whole.ogg", 4.0, 22).read_bytes()
    junk = np.random.default_rng(22).bytes(5000) + b"OggS\x00\x00" + bytes(40) + b"OggS"
    padded = _write(tmp_path / "padded.ogg", whole + junk)
    assert ogg_is_complete(padded) is True
    assert check_audio(padded) == pytest.approx(4.0, abs=0.1)


def test_the_bundled_recordings_are_whole() -> None:
    recordings = sorted((Path(__file__).resolve().parents[1] / "recordings").glob("*.ogg"))
    assert recordings
    for path in recordings:
        assert ogg_is_complete(path) is True, path
        assert check_audio(path) > 60, path


def ogg_page(serial: int, seq: int, flags: int, body: bytes, granule: int = 0) -> bytes:
    lacing = bytes([255] * (len(body) // 255) + [len(body) % 255])
    header = b"OggS\x00" + struct.pack("<BqIII", flags, granule, serial, seq, 0)
    page = bytearray(header + bytes([len(lacing)]) + lacing + body)
    page[22:26] = struct.pack("<I", containers._ogg_crc(bytes(page)))
    return bytes(page)


def audio_pages(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return [data[p.offset : p.end] for p in containers._ogg_pages(data, first=True)]


def test_only_the_audio_streams_end_counts_in_a_multiplexed_ogg(tmp_path: Path) -> None:
    """With a second, non-audio stream (video, Skeleton) in the file, its pages are not the
    audio's: the audio's last page must mark the end, whatever comes after it."""
    pages = audio_pages(opus(tmp_path / "a.ogg", 2.0, 23))
    assert pages[-1][5] & 0x04 and not any(p[5] & 0x04 for p in pages[:-1])
    video = 0x5EE
    start = ogg_page(video, 0, 0x02, b"\x80theora" + bytes(34))
    frame = ogg_page(video, 1, 0, bytes(300), granule=9)
    end = ogg_page(video, 2, 0x04, bytes(300), granule=10)
    files = {
        # audio whole; the video's pages after it, the last one not marking its end
        "whole.ogg": [pages[0], start, *pages[1:], frame],
        # audio cut (its last page lost); the video's end page comes last
        "cut.ogg": [pages[0], start, *pages[1:-1], frame, end],
    }
    for name, parts in files.items():
        path = _write(tmp_path / name, b"".join(parts))
        assert ogg_is_complete(path) is (name == "whole.ogg"), name


def test_what_is_not_ogg_or_has_no_header_is_left_alone(tmp_path: Path) -> None:
    wav = encode(tmp_path / "a.wav", murmur(1.0, 24))
    assert ogg_is_complete(wav) is None and mp3_promised_frames(wav) is None
    # An MP3 without a Xing/Info or VBRI header cut short cannot be told from a shorter call.
    plain = mp3(tmp_path / "plain.mp3", 6.0, 24, xing=False)
    assert mp3_promised_frames(plain) is None
    cut_in_half(plain)
    assert 2.0 < check_audio(plain) < 4.0


MPEG1_STEREO = bytes([0xFF, 0xFB, 0x90, 0x64])  # MPEG-1 layer III, 128 kb/s, 44.1 kHz
MPEG2_MONO = bytes([0xFF, 0xF3, 0x68, 0xC4])  # MPEG-2 layer III, 48 kb/s, 16 kHz, mono


@pytest.mark.parametrize(
    ("head", "frame_seconds"),
    [
        # LAME's VBR tag after the side information (32 bytes for MPEG-1 stereo), then frames,
        # bytes; behind an ID3v2 tag
        (
            b"ID3\x03\x00\x00\x00\x00\x00\x05"
            + bytes(5)
            + MPEG1_STEREO
            + bytes(32)
            + b"Xing\x00\x00\x00\x03"
            + struct.pack(">II", 1000, 400_000),
            1152 / 44100,
        ),
        # 9 bytes of side information for MPEG-2 mono; frames only
        (MPEG2_MONO + bytes(9) + b"Info\x00\x00\x00\x01" + struct.pack(">I", 1000), 576 / 16000),
        # Fraunhofer's VBRI, 32 bytes after the frame header: version, delay, quality, bytes,
        # frames
        (
            MPEG1_STEREO + bytes(32) + b"VBRI" + struct.pack(">HHHII", 1, 0, 75, 400_000, 1000),
            1152 / 44100,
        ),
    ],
)
def test_mp3_headers_that_count_frames(head: bytes, frame_seconds: float, tmp_path: Path) -> None:
    path = _write(tmp_path / "h.mp3", head + bytes(600))
    found = mp3_promised_frames(path)
    assert found is not None
    frames, size, seconds = found
    assert frames == 1000 and size in (0, 400_000) and seconds == pytest.approx(frame_seconds)


# --- speech Whisper can only guess at ------------------------------------------------------------


class GuessingTranscriber(DecodingTranscriber):
    """Fluent English text, decoded with the confidence Whisper shows for French speech."""

    id = "guessing-fake:v1"

    def stats(self) -> dict:
        return {"seconds": 9.0, "utterances": 1, "mean_logprob": -1.5}


def test_speech_the_model_only_guesses_at_is_a_failed_input(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    encode(calls / "good-a.wav", murmur(1.0, 1))
    store = Store(tmp_path / "s.db")
    for attempt in range(2):  # the second run reads the transcript and its statistics cached
        transcriber = GuessingTranscriber(SCRIPTS)
        parts = Components(transcriber, CountingEmbedder(), KeywordDetector())
        pipeline = Pipeline(Config(), store, parts)
        result = pipeline.run(RunOptions([calls], tmp_path / "out", pipeline.config))
        assert transcriber.files_transcribed == (1 if attempt == 0 else 0)
        assert result.objections == 0 and result.calls == 0
        ((_, reason),) = result.failed
        assert reason.startswith("speech does not look like English (")


def test_the_speech_check_needs_enough_speech_and_follows_the_settings() -> None:
    english = TranscribeConfig()
    assert speech_problem(None, english) is None
    assert speech_problem({"seconds": 60, "utterances": 9, "mean_logprob": -0.35}, english) is None
    assert speech_problem({"seconds": 2, "utterances": 1, "mean_logprob": -2.0}, english) is None
    found = speech_problem({"seconds": 60, "utterances": 9, "mean_logprob": -1.2}, english)
    assert found and "does not look like English" in found
    lenient = TranscribeConfig(min_logprob=-1.5)
    assert speech_problem({"seconds": 60, "utterances": 9, "mean_logprob": -1.2}, lenient) is None
    auto = TranscribeConfig(language="")
    found = speech_problem({"seconds": 60, "utterances": 9, "mean_logprob": -1.2}, auto)
    assert found and "not clear enough" in found


def test_one_channel_in_another_language_fails_the_call_even_if_the_mix_passes() -> None:
    english, french = (0, 40.0, -0.3), (1, 20.0, -1.4)
    stats = speech_stats([english, french])
    assert stats and stats["mean_logprob"] > TranscribeConfig().min_logprob  # the mix passes
    found = speech_problem(stats, TranscribeConfig())
    assert found and found.startswith("channel 1: speech does not look like English")
    both_english = speech_stats([english, (1, 20.0, -0.4), (1, 2.0, None)])
    assert speech_problem(both_english, TranscribeConfig()) is None
    too_little = speech_stats([english, (1, 2.5, -2.0)])  # 2.5 s: too little to judge
    assert speech_problem(too_little, TranscribeConfig()) is None


# --- the real decoder and model ------------------------------------------------------------------


def espeak(path: Path, voice: str, text: str) -> Path:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed (scripts/install.sh --dev installs it)")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    return path


FRENCH = (
    "Honnêtement, le prix par utilisateur est beaucoup trop élevé pour une équipe de notre "
    "taille. Nous ne pouvons pas justifier cette dépense cette année, et notre directeur "
    "financier ne signera rien avant le printemps."
)
ENGLISH = (
    "Honestly, the price per user is far too high for a team our size. We cannot justify "
    "that spend this year, and our finance director will not sign anything before spring."
)


@pytest.mark.real
def test_french_speech_is_reported_not_turned_into_english_objections(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    espeak(calls / "french.wav", "fr", FRENCH)
    espeak(calls / "english.wav", "en-us", ENGLISH)
    encode(calls / "hold-music.wav", tones(6.0))
    config = Config()
    parts = Components(embedder=CountingEmbedder(), detector=KeywordDetector())  # real Whisper
    pipeline = Pipeline(config, Store(tmp_path / "s.db"), parts)
    result = pipeline.run(RunOptions([calls], tmp_path / "out", config))
    failed = {Path(f).name: reason for f, reason in result.failed}
    assert set(failed) == {"french.wav", "hold-music.wav"}, failed
    assert failed["french.wav"].startswith("speech does not look like English")
    assert failed["hold-music.wav"] == "no speech found in the audio"
    rows = [json.loads(line) for line in (tmp_path / "out" / "objections.jsonl").open()]
    assert rows and {r["call_id"] for r in rows} == {"english"}, "only the English call counts"
    assert any("price" in r["text"].lower() for r in rows)
