"""Speaker attribution on mono calls: objections.diarize, as `objections run` uses it.

Three kinds of mono call, all synthesized here in a temporary folder:

  devset calls   the dialogue of ../shared/devset calls, each speaker given an espeak-ng voice
                 (accent, variant, pitch and speed differ; some pairs share a gender), turns
                 laid end to end with pauses of 0.2 to 0.9 s, and short backchannels ("Mm-hm.",
                 "Right.") from the listener between some sentences; calls with one buyer hold
                 2 voices, calls with two buyers 3;
  recordings     the bundled stereo recordings/*.ogg summed to one channel (truth: which
                 channel is sounding).

For each call: the transcriber's voice activity detection and the diarizer (no Whisper), then
the attribution accuracy: the share of speech time (10 ms frames where exactly one speaker
talks) given to the right speaker, after the best matching of found speakers to true ones;
time the diarizer gave no speaker counts as wrong; "rep_vs_buyer" is the same with the two
buyers of a 3-voice call as one. With --roles N, N devset calls of each voice count and N
recordings also go through the whole transcriber (Whisper) and roles.py's heuristic: role
accuracy is the share of transcribed words given the right role (rep/buyer).

    .venv/bin/python benchmarks/diarization.py [--calls N] [--recordings N] [--roles N]
        [--speakers K]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset" / "shiftwise" / "calls"
RATE = 16000
FRAME = 160  # 10 ms
# Voice sets: (espeak-ng voice, pitch 0-99, words per minute). Rep first, then buyers.
VOICE_SETS = [
    [("en-us+f2", 55, 160), ("en-us", 45, 150), ("en-gb+m3", 35, 140)],
    [("en-gb+m3", 40, 155), ("en-us+f3", 60, 165), ("en-us+m1", 50, 145)],
    [("en-us+m4", 50, 160), ("en-gb-x-rp+m1", 35, 150), ("en-us+f4", 65, 155)],  # two men
    [("en-us+f4", 60, 155), ("en-gb+f2", 50, 165), ("en-us+m3", 40, 150)],  # two women
]
BACKCHANNELS = ["Mm-hm.", "Right.", "Yeah.", "Okay.", "Sure.", "I see."]


def speak(text: str, voice: tuple[str, int, int], folder: Path) -> np.ndarray:
    """espeak-ng at 16 kHz, float32, leading and trailing silence trimmed."""
    name, pitch, speed = voice
    path = folder / "say.wav"
    subprocess.run(["espeak-ng", "-v", name, "-p", str(pitch), "-s", str(speed), "-w", str(path),
                    "--", text], check=True)  # fmt: skip
    with wave.open(str(path)) as clip:
        rate, data = clip.getframerate(), clip.readframes(clip.getnframes())
    audio = np.frombuffer(data, "<i2").astype(np.float32) / 32768
    times = np.arange(int(len(audio) * RATE / rate)) / RATE
    audio = np.interp(times, np.arange(len(audio)) / rate, audio).astype(np.float32)
    loud = np.flatnonzero(np.abs(audio) > 0.002)
    return audio[loud[0] : loud[-1] + 1] if len(loud) else audio[:0]


def render_devset_call(
    call: dict[str, Any], voices: list[tuple[str, int, int]], folder: Path, rng: random.Random
) -> tuple[np.ndarray, list[tuple[int, int, str]], dict[str, str]]:
    """Mono audio of a devset call, its (start, end, speaker) truth, and speaker -> role."""
    speakers = list(call["speakers"])  # the rep first in the devset files
    speakers.sort(key=lambda s: call["speakers"][s] != "rep")
    voice = {s: voices[i % len(voices)] for i, s in enumerate(speakers)}
    pieces: list[np.ndarray] = [np.zeros(RATE // 2, np.float32)]
    truth: list[tuple[int, int, str]] = []
    at = RATE // 2
    previous = speakers[0]
    for turn in call["turns"]:
        speaker = turn["speaker"]
        text = " ".join(s["text"] for s in turn["sentences"])
        clips = [(speaker, speak(text, voice[speaker], folder))]
        if len(text.split()) > 25 and rng.random() < 0.5:  # the listener says "mm-hm"
            listener = previous if previous != speaker else speakers[speakers[0] == speaker]
            clips.append((listener, speak(rng.choice(BACKCHANNELS), voice[listener], folder)))
            clips.append((speaker, speak("And, um, that's the thing.", voice[speaker], folder)))
        for who, clip in clips:
            truth.append((at, at + len(clip), who))
            pause = np.zeros(int(rng.uniform(0.2, 0.9) * RATE), np.float32)
            pieces += [clip, pause]
            at += len(clip) + len(pause)
        previous = speaker
    roles = {s: call["speakers"][s] for s in speakers}
    return np.concatenate(pieces), truth, roles


def write_wav(path: Path, audio: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def mixed_recording(path: Path, folder: Path) -> tuple[Path, list[tuple[int, int, str]]]:
    """A bundled stereo recording summed to mono; truth: the sounding channel, frame by frame."""
    from objections.audio import load_channels

    left, right = load_channels(path)
    frames = len(left) // FRAME

    def level(audio: np.ndarray) -> np.ndarray:
        power = (audio[: frames * FRAME].reshape(frames, FRAME) ** 2).mean(axis=1)
        return np.asarray(10 * np.log10(power + 1e-10))

    rep, buyer = level(left) > -50, level(right) > -50
    truth = [(i * FRAME, (i + 1) * FRAME, "rep" if r else "buyer")
             for i, (r, b) in enumerate(zip(rep, buyer, strict=True)) if r != b]  # fmt: skip
    return write_wav(folder / f"{path.stem}-mono.wav", (left + right) / 2), truth


def attribution(
    truth: list[tuple[int, int, str]], found: list[tuple[int, int, int]], length: int
) -> dict[str, Any]:
    """Share of true single-speaker speech frames given the right speaker (best matching)."""
    frames = length // FRAME + 1
    names = sorted({s for _, _, s in truth})
    true = np.full(frames, -1)
    overlap = np.zeros(frames, dtype=int)
    for start, end, speaker in truth:
        true[start // FRAME : end // FRAME] = names.index(speaker)
        overlap[start // FRAME : end // FRAME] += 1
    guess = np.full(frames, -1)
    for start, end, label in found:
        guess[start // FRAME : end // FRAME] = label
    speech = (true >= 0) & (overlap == 1)
    labels = int(guess.max()) + 1
    confusion = np.zeros((max(labels, 1), len(names)))
    for g, t in zip(guess[speech], true[speech], strict=True):
        if g >= 0:
            confusion[g, t] += 1
    # The best one-to-one matching of found labels to true speakers (at most 4 x 3: try all).
    size = max(confusion.shape)
    square = np.zeros((size, size))
    square[: confusion.shape[0], : confusion.shape[1]] = confusion
    correct = max(square[range(size), list(p)].sum() for p in itertools.permutations(range(size)))
    return {"accuracy": round(float(correct / speech.sum()), 4),
            "covered": round(float((guess[speech] >= 0).mean()), 4),
            "speakers_true": len(names), "speakers_found": labels,
            "speech_s": round(float(speech.sum()) * FRAME / RATE, 1)}  # fmt: skip


def diarize(path: Path, speakers: int) -> list[tuple[int, int, int]]:
    from objections.config import TranscribeConfig
    from objections.transcribe import WhisperTranscriber

    _, diarizer = WhisperTranscriber(TranscribeConfig(speakers=speakers)).find_speech(path)
    assert diarizer is not None, "a mono file is diarized"
    return diarizer.segments()


def role_accuracy(path: Path, truth: list[tuple[int, int, str]], roles: dict[str, str],
                  transcriber: Any) -> dict[str, Any]:  # fmt: skip
    """Whisper + diarization + roles.py on the mono file: share of words given the right role."""
    from objections.models import Call
    from objections.roles import assign_roles

    turns = transcriber.transcribe(path)
    call = assign_roles(Call(path.stem, str(path), "", "audio", turns=turns), [])
    right = total = 0
    for turn in call.turns:
        start, end = int(turn.start * RATE), int(turn.end * RATE)
        overlaps: dict[str, int] = {}
        for a, b, speaker in truth:
            if min(b, end) > max(a, start):
                role = roles[speaker]
                overlaps[role] = overlaps.get(role, 0) + min(b, end) - max(a, start)
        words = len(turn.text.split())
        total += words
        right += words * (bool(overlaps) and max(overlaps, key=overlaps.__getitem__) == turn.role)
    return {"role_accuracy": round(right / max(total, 1), 4), "turns": len(call.turns),
            "speakers": sorted({t.speaker for t in turns})}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=8, help="devset calls to render")
    parser.add_argument("--recordings", type=int, default=10, help="bundled recordings to mix")
    parser.add_argument("--roles", type=int, default=0, help="calls of each kind through Whisper")
    parser.add_argument("--speakers", type=int, default=0, help="[transcribe] speakers (0: guess)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    rng = random.Random(7)
    transcriber = None
    if args.roles:
        from objections.config import TranscribeConfig
        from objections.transcribe import WhisperTranscriber

        transcriber = WhisperTranscriber(TranscribeConfig(speakers=args.speakers))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        calls = sorted(DEVSET.glob("*.json"))[: args.calls]
        with_roles = {2: 0, 3: 0}  # calls through Whisper, by number of voices
        for n, path in enumerate(calls):
            call = json.loads(path.read_text())
            voices = VOICE_SETS[n % len(VOICE_SETS)]
            audio, truth, roles = render_devset_call(call, voices, folder, rng)
            wav = write_wav(folder / f"{call['call_id']}.wav", audio)
            started = time.perf_counter()
            row = {"call": call["call_id"], "kind": f"devset {len(roles)} voices",
                   "voices": [v[0] for v in voices[: len(roles)]],
                   **attribution(truth, found := diarize(wav, args.speakers), len(audio)),
                   "diarize_s": round(time.perf_counter() - started, 1)}  # fmt: skip
            # Rep against buyers: two buyers merged into one speaker cost the roles nothing.
            by_role = [(a, b, roles[speaker]) for a, b, speaker in truth]
            row["rep_vs_buyer"] = attribution(by_role, found, len(audio))["accuracy"]
            if transcriber is not None and with_roles[len(roles)] < args.roles:
                row.update(role_accuracy(wav, truth, roles, transcriber))
                with_roles[len(roles)] += 1
            rows.append(row)
            print(json.dumps(row), flush=True)
        recordings = sorted((ROOT / "recordings").glob("*.ogg"))[: args.recordings]
        for n, path in enumerate(recordings):
            wav, truth = mixed_recording(path, folder)
            with wave.open(str(wav)) as mixed:
                length = mixed.getnframes()
            started = time.perf_counter()
            row = {"call": path.stem, "kind": "recording summed to mono",
                   **attribution(truth, diarize(wav, args.speakers), length),
                   "diarize_s": round(time.perf_counter() - started, 1)}  # fmt: skip
            if transcriber is not None and n < args.roles:
                row.update(role_accuracy(wav, truth, {"rep": "rep", "buyer": "buyer"},
                                         transcriber))  # fmt: skip
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    for kind, group in itertools.groupby(sorted(rows, key=lambda r: r["kind"]),
                                         key=lambda r: r["kind"]):  # fmt: skip
        members = list(group)
        seconds = sum(r["speech_s"] for r in members)
        weighted = sum(r["accuracy"] * r["speech_s"] for r in members) / seconds
        count_right = sum(r["speakers_found"] == r["speakers_true"] for r in members)
        line = (f"{kind:<25} calls {len(members):>2}  attribution {weighted:.3f} (by time;"
                f" worst {min(r['accuracy'] for r in members):.3f})  speaker count right"
                f" {count_right}/{len(members)}")  # fmt: skip
        if all("rep_vs_buyer" in r for r in members):
            rep = sum(r["rep_vs_buyer"] * r["speech_s"] for r in members) / seconds
            line += f"  rep vs buyer {rep:.3f}"
        with_roles = [r for r in members if "role_accuracy" in r]
        if with_roles:
            mean = sum(r["role_accuracy"] for r in with_roles) / len(with_roles)
            line += f"  role accuracy {mean:.3f} over {len(with_roles)} calls"
        print(line)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
