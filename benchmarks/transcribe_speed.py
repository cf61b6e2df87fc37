"""Transcription speed and accuracy on the bundled stereo recordings.

For each call in recordings/ (rep on channel 0, buyer on channel 1) this measures, in one process
and on the same decoded audio:

  (a) the tool's default transcriber: WhisperTranscriber(TranscribeConfig(), the company
      vocabulary of recordings/objections.toml), exactly as `objections run` builds it;
  (b) the reference: faster-whisper's defaults, `WhisperModel(...).transcribe(channel_audio,
      beam_size=5)` on each whole channel (no VAD, no batching, no hotwords), same weights.

and prints call-audio seconds per wall-clock second (a stereo call's duration counts once) and the
word error rate against the scripted text in scripts/recordings_source/calls.json (overall and
for the buyer channel alone). Text is normalised before scoring: lowercase, punctuation removed,
digits spelt out as words, fillers (um, uh) dropped.

    .venv/bin/python benchmarks/transcribe_speed.py [--calls N] [--json] [--beam N]
        [--repeat N] [--no-reference]

--beam overrides the tool's [transcribe] beam_size; --repeat N times each call N times and keeps
the fastest (other jobs on the machine only ever add time).

The model loads before timing starts; the timed wall clock covers decoding the file, VAD and
Whisper. Other processes on the machine slow both sides alike; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "recordings"
SCRIPT = ROOT / "scripts" / "recordings_source" / "calls.json"
SAMPLE_RATE = 16000
CHANNELS = {"rep": 0, "buyer": 1}
PACKAGES = ["objections", "faster-whisper", "ctranslate2", "onnxruntime", "av", "numpy"]

# --- text normalisation and WER ---------------------------------------------------------------

ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
SCALES = [(10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")]
ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}  # fmt: skip
FILLERS = {"um", "uh", "umm", "uhm", "hmm", "mm", "mhm", "er", "ah"}
SPELLINGS = {"ok": "okay", "alright": "all right", "percent": "percent"}


def number_words(n: int) -> str:
    """1234 -> 'one thousand two hundred thirty four'."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    for value, name in SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return f"{number_words(head)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError(n)


def _spell_number(match: re.Match[str]) -> str:
    currency, digits, decimals, suffix, percent = match.groups()
    n = int(digits.replace(",", ""))
    words = number_words(n)
    if decimals:
        words += " point " + " ".join(ONES[int(d)] for d in decimals[1:])
    suffix = (suffix or percent or "").lower()
    if suffix in ("st", "nd", "rd", "th"):
        last = words.split()[-1]
        ordinal = ORDINALS.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
        words = " ".join([*words.split()[:-1], ordinal])
    elif suffix == "%":
        words += " percent"
    elif suffix == "s":
        words += "s"
    elif suffix == "k":
        words += " thousand"
    if currency:
        words += " dollars"
    return f" {words} "


def normalize(text: str) -> list[str]:
    """Words for scoring: lowercase, numbers spelt out, no punctuation, no fillers."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"(\$)?(\d[\d,]*)(\.\d+)?(?:(st|nd|rd|th|s|k)\b|(%))?", _spell_number, text)
    text = re.sub(r"(\w)'(\w)", r"\1\2", text)  # it's -> its, on both sides alike
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    words = []
    for word in text.split():
        if word in FILLERS:
            continue
        words.extend(SPELLINGS.get(word, word).split())
    return words


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions + deletions + insertions)."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1]


class Score:
    """Accumulated edits over reference words, per channel."""

    def __init__(self) -> None:
        self.edits = {name: 0 for name in CHANNELS}
        self.words = {name: 0 for name in CHANNELS}

    def add(self, reference: dict[str, str], hypothesis: dict[str, str]) -> None:
        for name in CHANNELS:
            ref, hyp = normalize(reference[name]), normalize(hypothesis.get(name, ""))
            self.edits[name] += edit_distance(ref, hyp)
            self.words[name] += len(ref)

    def wer(self, name: str | None = None) -> float:
        names = [name] if name else list(CHANNELS)
        words = sum(self.words[n] for n in names)
        return sum(self.edits[n] for n in names) / words if words else 0.0


# --- the two transcribers -----------------------------------------------------------------------


def scripted_text(call: dict[str, Any]) -> dict[str, str]:
    return {
        name: " ".join(t["text"] for t in call["turns"] if t["speaker"] == name)
        for name in CHANNELS
    }


def tool_transcriber(beam: int | None = None) -> Any:
    from objections.config import TranscribeConfig, load_config
    from objections.transcribe import WhisperTranscriber

    config = load_config(RECORDINGS / "objections.toml")
    settings = TranscribeConfig() if beam is None else TranscribeConfig(beam_size=beam)
    return WhisperTranscriber(settings, config.company.vocabulary)


def run_tool(transcriber: Any, path: Path) -> dict[str, str]:
    turns = transcriber.transcribe(path)
    return {
        name: " ".join(t.text for t in turns if t.channel == channel)
        for name, channel in CHANNELS.items()
    }


def run_reference(model: Any, channels: list[np.ndarray]) -> dict[str, str]:
    texts = {}
    for name, channel in CHANNELS.items():
        segments, _info = model.transcribe(channels[channel], beam_size=5)
        texts[name] = " ".join(s.text.strip() for s in segments)
    return texts


def reference_model(transcriber: Any) -> Any:
    """The same weights with faster-whisper's constructor defaults, one thread per core."""
    from faster_whisper import WhisperModel

    from objections.transcribe import resolve_model

    return WhisperModel(resolve_model("tiny.en"), device="cpu", compute_type="int8",
                        cpu_threads=os.cpu_count() or 0, local_files_only=True)  # fmt: skip


# --- the run ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "packages": versions,
        "load_average": list(os.getloadavg()),
    }


def timed(fn: Any, repeat: int) -> tuple[Any, float]:
    """fn's result and its best wall time over `repeat` runs (other jobs only ever add time)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return result, best


def measure(
    calls: list[dict[str, Any]],
    with_reference: bool,
    log: Any,
    beam: int | None = None,
    repeat: int = 1,
) -> dict[str, Any]:
    from objections.audio import load_channels

    transcriber = tool_transcriber(beam)
    transcriber.model  # noqa: B018 (load before timing)
    warm = RECORDINGS / calls[0]["file"]
    transcriber.transcribe(warm)  # first-call costs (VAD session, allocator) out of the timing
    reference = reference_model(transcriber) if with_reference else None
    results: dict[str, Any] = {"tool": {"id": transcriber.id, "seconds": 0.0, "score": Score()}}
    if reference is not None:
        results["reference"] = {
            "id": "faster-whisper defaults: transcribe(channel, beam_size=5), no VAD",
            "seconds": 0.0,
            "score": Score(),
        }
    audio_seconds = 0.0
    per_call = []
    for call in calls:
        path = RECORDINGS / call["file"]
        truth = scripted_text(call)
        tool_text, tool_seconds = timed(lambda p=path: run_tool(transcriber, p), repeat)
        channels = load_channels(path)
        duration = len(channels[0]) / SAMPLE_RATE
        audio_seconds += duration
        results["tool"]["seconds"] += tool_seconds
        results["tool"]["score"].add(truth, tool_text)
        row = {"call": call["call_id"], "audio_s": round(duration, 1),
               "tool_s": round(tool_seconds, 2)}  # fmt: skip
        if reference is not None:
            ref_text, ref_seconds = timed(lambda c=channels: run_reference(reference, c), repeat)
            results["reference"]["seconds"] += ref_seconds
            results["reference"]["score"].add(truth, ref_text)
            row["reference_s"] = round(ref_seconds, 2)
        per_call.append(row)
        log(f"{row}")
    summary: dict[str, Any] = {"calls": len(calls), "audio_seconds": round(audio_seconds, 1)}
    for name, entry in results.items():
        score: Score = entry["score"]
        summary[name] = {
            "id": entry["id"],
            "wall_seconds": round(entry["seconds"], 2),
            "realtime_factor": round(audio_seconds / entry["seconds"], 1),
            "wer": round(score.wer(), 4),
            "wer_buyer": round(score.wer("buyer"), 4),
            "wer_rep": round(score.wer("rep"), 4),
        }
    summary["per_call"] = per_call
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=None, help="run only the first N calls")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-reference", action="store_true", help="skip the slow reference")
    parser.add_argument(
        "--beam", type=int, default=None, help="the tool's beam size (default: its config's)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each call N times and keep the fastest"
    )
    args = parser.parse_args(argv)
    calls = json.loads(SCRIPT.read_text(encoding="utf-8"))[: args.calls]

    def log(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr)

    info = machine()
    summary = measure(calls, not args.no_reference, log, args.beam, args.repeat)
    summary["repeat"] = args.repeat
    info["load_average_after"] = list(os.getloadavg())
    if args.json:
        print(json.dumps({"machine": info, **summary}, indent=2))
        return 0
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    print(f"machine: {info['cores']} cores, {info['cpu']}, Python {info['python']}")
    print(f"packages: {packages}")
    load_before = " ".join(f"{x:.2f}" for x in info["load_average"])
    load_after = " ".join(f"{x:.2f}" for x in info["load_average_after"])
    print(f"load average: {load_before} before, {load_after} after")
    print(f"{summary['calls']} calls, {summary['audio_seconds']:.0f} s of stereo call audio\n")
    print(
        f"{'transcriber':<12} {'x realtime':>10} {'wall s':>8} {'WER':>7} {'buyer':>7} {'rep':>7}"
    )
    for name in ("tool", "reference"):
        if name in summary:
            s = summary[name]
            print(f"{name:<12} {s['realtime_factor']:>10.1f} {s['wall_seconds']:>8.1f} "
                  f"{s['wer']:>7.2%} {s['wer_buyer']:>7.2%} {s['wer_rep']:>7.2%}")  # fmt: skip
    for name in ("tool", "reference"):
        if name in summary:
            print(f"  {name}: {summary[name]['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
