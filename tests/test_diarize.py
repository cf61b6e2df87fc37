"""objections.diarize: speakers of a mono call told apart by their sound.

Fast tests on synthetic "voices" (harmonic buzzes with different pitches and spectral shapes,
with noise); a real test on two espeak-ng voices mixed to mono, run through the transcriber's
own voice activity detection."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from objections.audio import SAMPLE_RATE
from objections.config import TranscribeConfig
from objections.diarize import Diarizer, smooth, split_at_pauses
from objections.models import Call
from objections.roles import assign_roles
from objections.transcribe import WhisperTranscriber, speaker_stretches

RATE = SAMPLE_RATE


def voice(seconds: float, pitch: float, brightness: float, seed: int) -> np.ndarray:
    """A voiced buzz: harmonics of `pitch` falling off by `brightness` per harmonic, with a
    slow wobble in pitch and loudness (syllables) and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = pitch * (1 + 0.03 * np.sin(2 * np.pi * 3 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    harmonics = sum(brightness**k * np.sin(k * phase) for k in range(1, 30) if k * pitch < 7000)
    syllables = 0.6 + 0.4 * np.abs(np.sin(2 * np.pi * 2.5 * t))
    audio = harmonics * syllables + rng.normal(0, 0.02, len(t))
    return (0.2 * audio / np.abs(audio).max()).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def conversation(turns: list[tuple[int, float]], voices: list[tuple[float, float]]) -> tuple[
    np.ndarray, list[tuple[int, int, int]]
]:  # fmt: skip
    """Mono audio of (speaker, seconds) turns with 0.5 s pauses, and (start, end, speaker)."""
    pieces, truth, at = [silence(0.3)], [], int(0.3 * RATE)
    for n, (speaker, seconds) in enumerate(turns):
        clip = voice(seconds, *voices[speaker], seed=n)
        truth.append((at, at + len(clip), speaker))
        pieces += [clip, silence(0.5)]
        at += len(clip) + int(0.5 * RATE)
    return np.concatenate(pieces), truth


def accuracy(truth: list[tuple[int, int, int]], found: list[tuple[int, int, int]]) -> float:
    """Share of the true speech time labelled right, under the better of the two ways to
    match two labels (or trivially for one)."""
    frames = max(end for _, end, _ in truth) // 160 + 1
    true, guess = np.full(frames, -1), np.full(frames, -1)
    for start, end, speaker in truth:
        true[start // 160 : end // 160] = speaker
    for start, end, label in found:
        guess[start // 160 : end // 160] = label
    speech = true >= 0
    same = (guess[speech] == true[speech]).mean()
    swapped = (guess[speech] == 1 - true[speech]).mean()
    return float(max(same, swapped))


def diarize_spans(audio: np.ndarray, spans: list[tuple[int, int]], speakers: int = 0) -> Diarizer:
    diarizer = Diarizer(speakers)
    for start, end in spans:
        diarizer.add(audio[start:end], start)
    return diarizer


TWO_VOICES = [(110.0, 0.8), (220.0, 0.55)]  # a low, dark voice and a higher, thinner one
TURNS = [(0, 3.0), (1, 2.5), (0, 4.0), (1, 0.6), (0, 2.0), (1, 5.0), (0, 1.2), (1, 3.0)]


def test_two_alternating_voices_are_told_apart() -> None:
    audio, truth = conversation(TURNS, TWO_VOICES)
    spans = [(start, end) for start, end, _ in truth]  # VAD found each turn
    found = diarize_spans(audio, spans).segments()
    assert len({label for _, _, label in found}) == 2
    assert accuracy(truth, found) > 0.95


def test_a_stretch_holding_both_voices_is_cut_where_the_voice_changes() -> None:
    """VAD bridges short pauses: one span holds a turn of each speaker; the pause inside it
    is where the diarizer cuts, and each side gets its own label."""
    audio, truth = conversation(TURNS, TWO_VOICES)
    spans = [(truth[i][0], truth[i + 1][1]) for i in range(0, len(truth), 2)]  # pairs of turns
    found = diarize_spans(audio, spans).segments()
    assert accuracy(truth, found) > 0.9
    stretches = speaker_stretches(found)
    # Every speaker change in the truth is a stretch boundary: no stretch mixes two voices.
    assert len(stretches) >= len(TURNS) - 1


def test_a_configured_count_is_kept() -> None:
    audio, truth = conversation(TURNS, TWO_VOICES)
    spans = [(s, e) for s, e, _ in truth]
    assert {label for _, _, label in diarize_spans(audio, spans, speakers=1).segments()} == {0}
    three = diarize_spans(audio, spans, speakers=3).segments()
    assert {label for _, _, label in three} == {0, 1, 2}


def test_speakers_are_numbered_in_order_of_first_appearance() -> None:
    audio, truth = conversation([(1, 2.0), *TURNS], TWO_VOICES)  # voice 1 speaks first
    found = diarize_spans(audio, [(s, e) for s, e, _ in truth]).segments()
    assert found[0][2] == 0
    assert [start for start, _, _ in found] == sorted(start for start, _, _ in found)


def test_pieces_cover_a_span_and_are_cut_at_pauses_and_before_growing_long() -> None:
    loud, quiet = np.full(120, -20.0), np.full(30, -70.0)  # 1.2 s of sound, 0.3 s pause
    energies = np.concatenate([loud, quiet, loud, loud, loud])  # then 3.6 s without a pause
    pieces = split_at_pauses(energies)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(energies)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert 120 <= pieces[0][1] <= 150  # cut inside the pause
    assert all(high - low <= 200 for low, high, _ in pieces)
    # Only the first piece and the one after the pause follow a pause.
    assert [after for _, _, after in pieces].count(True) == 2


def test_smoothing_relabels_a_short_piece_cut_from_inside_one_voice() -> None:
    labels = [0, 0, 1, 0, 1, 1]
    after_pause = [True, False, False, False, True, False]
    assert smooth(labels, after_pause) == [0, 0, 0, 0, 1, 1]
    # A piece between pauses is a turn of its own: kept.
    assert smooth([0, 1, 0], [True, True, True]) == [0, 1, 0]


LINES = [
    (0, "Thanks for taking the time today. How do you handle supplier invoices right now?"),
    (1, "Mostly by hand, honestly. Two people in accounts payable key them into NetSuite."),
    (0, "Got it. And how many invoices would you say you process in a month?"),
    (1, "Around four thousand. The price you quoted per invoice worries me though."),
    (0, "That's fair. Our platform is priced by volume, so it comes down as you grow."),
    (1, "Right."),
    (0, "I can send over a comparison with what you pay your team for that work today."),
    (1, "Please do. My boss will want to see it before we go any further."),
]


@pytest.fixture(scope="module")
def espeak_call(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[tuple[int, int, int]]]:
    """LINES spoken by two espeak-ng voices (the rep 0, the buyer 1) in one mono WAV."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/install.sh installs it)")
    folder = tmp_path_factory.mktemp("espeak")
    voices = [("en-us+f2", "60"), ("en-us", "40")]
    audio, truth, at = [silence(0.5)], [], int(0.5 * RATE)
    for speaker, text in LINES:
        clip = _espeak(text, *voices[speaker], folder)
        truth.append((at, at + len(clip), speaker))
        audio += [clip, silence(0.4)]
        at += len(clip) + int(0.4 * RATE)
    path = folder / "mono.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.concatenate(audio) * 32767).astype("<i2").tobytes())
    return path, truth


@pytest.mark.real
def test_two_espeak_voices_in_a_mono_file_are_attributed(
    espeak_call: tuple[Path, list[tuple[int, int, int]]],
) -> None:
    """The transcriber's VAD and the diarizer give at least 90% of the speech time to the right
    voice (measured 0.98-1.00 with benchmarks/diarization.py on such calls)."""
    path, truth = espeak_call
    spans, diarizer = WhisperTranscriber(TranscribeConfig()).find_speech(path)
    assert len(spans) == 1 and diarizer is not None
    found = diarizer.segments()
    assert len({label for _, _, label in found}) == 2
    assert accuracy(truth, found) > 0.9


@pytest.mark.real
def test_a_mono_call_gets_a_rep_and_a_buyer(
    espeak_call: tuple[Path, list[tuple[int, int, int]]],
) -> None:
    """Whisper on each speaker's stretches, then roles.py: the rep's lines are the rep's."""
    path, truth = espeak_call
    turns = WhisperTranscriber(TranscribeConfig()).transcribe(path)
    assert {t.speaker for t in turns} == {"speaker 1", "speaker 2"}
    call = assign_roles(Call("mono", str(path), "", "audio", turns=turns), [])
    rep_turns = [t for t in call.turns if t.role == "rep"]
    assert rep_turns and all(t.speaker == rep_turns[0].speaker for t in rep_turns)
    text = " ".join(t.text.lower() for t in rep_turns)
    assert "our platform" in text and "my boss" not in text
    for turn in call.turns:  # every turn lies (90% or more) over lines of its role (0: rep)
        heard = [0.0, 0.0]
        for a, b, who in truth:
            heard[who] += max(0.0, min(b / RATE, turn.end) - max(a / RATE, turn.start))
        assert heard[0 if turn.role == "rep" else 1] >= 0.9 * sum(heard)


def _espeak(text: str, name: str, pitch: str, folder: Path) -> np.ndarray:
    path = folder / "say.wav"
    subprocess.run(["espeak-ng", "-v", name, "-p", pitch, "-w", str(path), text], check=True)
    with wave.open(str(path)) as clip:
        rate, data = clip.getframerate(), clip.readframes(clip.getnframes())
    samples = np.frombuffer(data, "<i2").astype(np.float32) / 32768
    times = np.arange(int(len(samples) * RATE / rate)) / RATE
    samples = np.interp(times, np.arange(len(samples)) / rate, samples).astype(np.float32)
    loud = np.flatnonzero(np.abs(samples) > 0.002)
    return samples[loud[0] : loud[-1] + 1]
