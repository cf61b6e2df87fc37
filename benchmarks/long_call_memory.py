"""Peak memory and wall time of transcribing long stereo calls.

Synthesizes stereo calls of the given lengths in a temporary folder (FLAC, written a block at a
time): silence, and every `--every` seconds a rep sentence on the left channel answered by a
buyer sentence on the right (espeak-ng). Each call is transcribed by the default transcriber in a
fresh child process, which reports its peak RSS (getrusage) and wall time, with the model load
and without. Memory that stays the same from a 20-minute to a 2-hour call is bounded.

    .venv/bin/python benchmarks/long_call_memory.py [--minutes 20 120] [--every 180] [--noise DB]

--noise adds a noise floor at DB dBFS on both channels (VAD then runs over the whole call, not
only the sounding parts), so the run takes longer. To measure another version of the package,
set PYTHONPATH to its src folder: the child process imports `objections` from there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

RATE = 16000
REP = [
    "Thanks for taking the time today, how do you handle supplier invoices right now?",
    "Our platform matches every invoice to its purchase order before anyone approves it.",
]
BUYER = [
    "Honestly the price per invoice is more than we can justify this year.",
    "We already use NetSuite and I worry the integration will take months.",
]
CHILD = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from objections.config import TranscribeConfig
from objections.transcribe import WhisperTranscriber
transcriber = WhisperTranscriber(TranscribeConfig(), [])
transcriber.model
loaded = time.perf_counter()
loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
turns = transcriber.transcribe(Path(sys.argv[1]))
done = time.perf_counter()
print(json.dumps({"turns": len(turns), "words": sum(len(t.text.split()) for t in turns),
                  "speakers": sorted({t.speaker for t in turns}),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rss_after_model_load_mb": loaded_rss / 1024,
                  "transcribe_s": round(done - loaded, 1), "total_s": round(done - start, 1),
                  "id": transcriber.id}))
"""


def speak(text: str, voice: str, folder: Path) -> np.ndarray:
    """espeak-ng at 16 kHz, as float32."""
    path = folder / "say.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    with wave.open(str(path)) as clip:
        rate, data = clip.getframerate(), clip.readframes(clip.getnframes())
    audio = np.frombuffer(data, "<i2").astype(np.float32) / 32768
    times = np.arange(int(len(audio) * RATE / rate)) / RATE
    return np.interp(times, np.arange(len(audio)) / rate, audio).astype(np.float32)


def write_call(path: Path, minutes: float, every: float, noise_db: float | None) -> int:
    """A stereo FLAC of `minutes`, written a minute at a time; returns its exchanges."""
    import av

    clips = [(speak(r, "en-us+f2", path.parent), speak(b, "en-us", path.parent))
             for r, b in zip(REP, BUYER, strict=True)]  # fmt: skip
    total = int(minutes * 60 * RATE)
    starts = np.arange(5 * RATE, total - 30 * RATE, int(every * RATE))
    rng = np.random.default_rng(0)
    noise = None if noise_db is None else 10 ** (noise_db / 20)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=RATE, layout="stereo")
        block = 60 * RATE
        for low in range(0, total, block):
            high = min(total, low + block)
            audio = np.zeros((2, high - low), np.float32)
            if noise is not None:
                audio += rng.normal(0, noise, audio.shape).astype(np.float32)
            for n, start in enumerate(starts):
                rep, buyer = clips[n % len(clips)]
                _paste(audio[0], rep, start - low)
                _paste(audio[1], buyer, start + len(rep) + RATE // 2 - low)
            pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").T.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return len(starts)


def _paste(channel: np.ndarray, clip: np.ndarray, at: int) -> None:
    """Add `clip` into `channel` at sample `at` (the part that falls inside it)."""
    low, high = max(0, at), min(len(channel), at + len(clip))
    if high > low:
        channel[low:high] += clip[low - at : high - at]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[20, 120])
    parser.add_argument("--every", type=float, default=180.0, help="seconds between exchanges")
    parser.add_argument("--noise", type=float, default=None, help="noise floor in dBFS")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        for minutes in args.minutes:
            path = Path(folder) / f"call-{minutes:g}min.flac"
            exchanges = write_call(path, minutes, args.every, args.noise)
            started = time.perf_counter()
            child = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True,
                                   capture_output=True, text=True)  # fmt: skip
            result = json.loads(child.stdout.strip().splitlines()[-1])
            result.update(minutes=minutes, exchanges=exchanges,
                          file_mb=round(path.stat().st_size / 2**20, 1),
                          wall_s=round(time.perf_counter() - started, 1))  # fmt: skip
            print(json.dumps(result))
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
