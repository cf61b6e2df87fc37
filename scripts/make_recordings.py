#!/usr/bin/env python3
"""Render the bundled demo sales calls in recordings/ from scripts/recordings_source/.

Each call in ``calls.json`` is spoken turn by turn with espeak-ng (one voice for the rep, another
for the buyer) and assembled into a stereo recording the way most dialers record: the rep on the
LEFT channel (channel 0), the buyer on the RIGHT channel (channel 1), the other channel silent
while one side talks, and a short gap between turns. The result is encoded as Ogg Vorbis with sox.

The output is deterministic: the Ogg stream serial number (random in sox) is rewritten to a value
derived from the call id, so running the script twice yields byte-identical files, and files whose
content did not change are not rewritten.

Besides the audio the script writes ``manifest.csv`` (call_id,file,date,account,stage,outcome) into
the output folder and, with ``--timings``, a JSON file with each turn's start and end in seconds.

Requires: espeak-ng and sox with Ogg Vorbis support
(install with: apt-get install espeak-ng sox libsox-fmt-all). Python 3.11, stdlib and numpy only.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import wave
import zlib
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = Path(__file__).resolve().parent / "recordings_source"
DEFAULT_CALLS = SOURCE_DIR / "calls.json"
DEFAULT_PRONUNCIATIONS = SOURCE_DIR / "pronunciations.json"
DEFAULT_OUT = REPO_ROOT / "recordings"

INSTALL_HINT = "install with: apt-get install espeak-ng sox libsox-fmt-all"
MANIFEST_COLUMNS = ("call_id", "file", "date", "account", "stage", "outcome")
CHANNEL = {"rep": 0, "buyer": 1}
DEFAULT_VOICES = {"rep": "en-us+f2", "buyer": "en-us"}

TTS_RATE = 22050  # espeak-ng's native output rate; sox resamples on encode
OUT_RATE = 16000
SPEED_WPM = 150
GAP_S = 0.4
LEAD_S = 0.5
TAIL_S = 0.5
VORBIS_QUALITY = 0


class ToolError(RuntimeError):
    """A required command-line tool is missing or failed."""


# ---------------------------------------------------------------- tools


def require_tools() -> None:
    """Fail with an install hint unless espeak-ng and sox (with Ogg Vorbis) are usable."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise ToolError(f"missing {', '.join(missing)}; {INSTALL_HINT}")
    help_text = subprocess.run(["sox", "-h"], capture_output=True, text=True).stdout
    formats = next((ln for ln in help_text.splitlines() if "FILE FORMATS" in ln), "")
    if " vorbis" not in formats and " ogg" not in formats:
        raise ToolError(f"sox has no Ogg Vorbis support; {INSTALL_HINT}")


def run_tool(args: list[str]) -> None:
    """Run a command, raising ToolError with its stderr when it fails."""
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip()}")


# ---------------------------------------------------------------- input


def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def load_pronunciations(path: Path) -> dict[str, str]:
    """Spoken forms for words espeak-ng says badly; the transcript keeps the written form."""
    if not path.exists():
        return {}
    data = load_json(path)
    return {str(k): str(v) for k, v in data.items()}


def spoken_text(text: str, pronunciations: dict[str, str]) -> str:
    """Replace whole-word written forms with their spoken forms."""
    for written, spoken in pronunciations.items():
        text = re.sub(rf"(?<![\w.]){re.escape(written)}(?![\w])", spoken, text)
    return text


# ---------------------------------------------------------------- synthesis


def read_wav_mono(path: Path) -> np.ndarray:
    """Read a 16-bit mono wav as int16 samples, checking the rate matches TTS_RATE."""
    with wave.open(str(path), "rb") as wf:
        if wf.getsampwidth() != 2 or wf.getnchannels() != 1:
            raise ToolError(f"unexpected espeak-ng output format in {path}")
        if wf.getframerate() != TTS_RATE:
            raise ToolError(f"espeak-ng wrote {wf.getframerate()} Hz, expected {TTS_RATE}")
        return np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2").astype(np.int16)


def synthesize(text: str, voice: str, workdir: Path) -> np.ndarray:
    """Speak one turn with espeak-ng and return its samples at TTS_RATE."""
    wav_path = workdir / "turn.wav"
    run_tool(["espeak-ng", "-v", voice, "-s", str(SPEED_WPM), "-w", str(wav_path), "--", text])
    return trim_silence(read_wav_mono(wav_path))


def trim_silence(samples: np.ndarray, threshold: int = 64) -> np.ndarray:
    """Drop the leading and trailing near-silence espeak-ng adds around each utterance."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


# ---------------------------------------------------------------- assembly


def assemble(
    turns: list[dict[str, Any]], clips: list[np.ndarray]
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Lay the turns out one after another on the speaker's channel; return audio and timings."""
    gap, lead, tail = (round(s * TTS_RATE) for s in (GAP_S, LEAD_S, TAIL_S))
    total = lead + sum(len(c) for c in clips) + gap * max(len(clips) - 1, 0) + tail
    stereo = np.zeros((total, 2), dtype=np.int16)
    timings: list[dict[str, Any]] = []
    cursor = lead
    for index, (turn, clip) in enumerate(zip(turns, clips, strict=True)):
        stereo[cursor : cursor + len(clip), CHANNEL[turn["speaker"]]] = clip
        start, end = cursor / TTS_RATE, (cursor + len(clip)) / TTS_RATE
        timings.append(
            {
                "turn": index,
                "speaker": turn["speaker"],
                "start": round(start, 2),
                "end": round(end, 2),
            }
        )
        cursor += len(clip) + gap
    return stereo, timings


def write_wav_stereo(path: Path, stereo: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(2)
        wf.setsampwidth(2)
        wf.setframerate(TTS_RATE)
        wf.writeframes(stereo.astype("<i2").tobytes())


def encode_ogg(wav_path: Path, ogg_path: Path) -> None:
    """Resample to OUT_RATE and encode Ogg Vorbis at VORBIS_QUALITY, without a sox comment."""
    run_tool(
        [
            "sox",
            "--no-dither",
            str(wav_path),
            "--comment",
            "",
            "-r",
            str(OUT_RATE),
            "-C",
            str(VORBIS_QUALITY),
            str(ogg_path),
        ]
    )


# ---------------------------------------------------------------- deterministic Ogg


def _ogg_crc_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC_TABLE = _ogg_crc_table()


def ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) ^ _CRC_TABLE[((crc >> 24) & 0xFF) ^ byte]) & 0xFFFFFFFF
    return crc


def set_ogg_serial(data: bytes, serial: int) -> bytes:
    """Rewrite every page's stream serial number and recompute the page checksums."""
    out = io.BytesIO()
    pos = 0
    while pos < len(data):
        if data[pos : pos + 4] != b"OggS":
            raise ToolError("unexpected data in Ogg stream")
        n_segments = data[pos + 26]
        header_len = 27 + n_segments
        body_len = sum(data[pos + 27 : pos + header_len])
        page = bytearray(data[pos : pos + header_len + body_len])
        page[14:18] = serial.to_bytes(4, "little")
        page[22:26] = b"\0\0\0\0"
        page[22:26] = ogg_crc(bytes(page)).to_bytes(4, "little")
        out.write(page)
        pos += header_len + body_len
    return out.getvalue()


def stable_serial(call_id: str) -> int:
    return zlib.crc32(call_id.encode("utf-8")) & 0x7FFFFFFF


# ---------------------------------------------------------------- output


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write data unless the file already holds exactly these bytes; return True if written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def manifest_bytes(calls: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for call in calls:
        writer.writerow([call[col] for col in MANIFEST_COLUMNS])
    return buf.getvalue().encode("utf-8")


def timings_bytes(all_timings: dict[str, list[dict[str, Any]]]) -> bytes:
    """JSON of call_id -> turns, one turn per line so diffs stay readable."""
    blocks = []
    for call_id, turns in all_timings.items():
        rows = ",\n".join(f"    {json.dumps(t)}" for t in turns)
        blocks.append(f"  {json.dumps(call_id)}: [\n{rows}\n  ]")
    return ("{\n" + ",\n".join(blocks) + "\n}\n").encode("utf-8")


def render_call(
    call: dict[str, Any], pronunciations: dict[str, str], workdir: Path
) -> tuple[bytes, list[dict[str, Any]]]:
    """Render one call to Ogg bytes plus its turn timings."""
    voices = {
        "rep": call.get("rep_voice", DEFAULT_VOICES["rep"]),
        "buyer": call.get("buyer_voice", DEFAULT_VOICES["buyer"]),
    }
    clips = [
        synthesize(spoken_text(t["text"], pronunciations), voices[t["speaker"]], workdir)
        for t in call["turns"]
    ]
    stereo, timings = assemble(call["turns"], clips)
    wav_path, ogg_path = workdir / "call.wav", workdir / "call.ogg"
    write_wav_stereo(wav_path, stereo)
    encode_ogg(wav_path, ogg_path)
    return set_ogg_serial(ogg_path.read_bytes(), stable_serial(call["call_id"])), timings


def validate(calls: list[dict[str, Any]]) -> None:
    """Catch data mistakes early: missing fields, unknown speakers, duplicate ids."""
    seen: set[str] = set()
    for call in calls:
        for field in (*MANIFEST_COLUMNS, "turns"):
            if field not in call:
                raise ValueError(f"call {call.get('call_id', '?')} lacks {field!r}")
        if call["call_id"] in seen:
            raise ValueError(f"duplicate call_id {call['call_id']}")
        seen.add(call["call_id"])
        for turn in call["turns"]:
            if turn["speaker"] not in CHANNEL:
                raise ValueError(f"{call['call_id']}: unknown speaker {turn['speaker']!r}")


def build(calls_path: Path, pron_path: Path, out_dir: Path, timings_path: Path | None) -> int:
    require_tools()
    calls = load_json(calls_path)
    validate(calls)
    pronunciations = load_pronunciations(pron_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    all_timings: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="make_recordings_") as tmp:
        for call in calls:
            data, timings = render_call(call, pronunciations, Path(tmp))
            all_timings[call["call_id"]] = timings
            written = write_if_changed(out_dir / call["file"], data)
            duration = timings[-1]["end"] + TAIL_S if timings else 0.0
            state = "wrote" if written else "unchanged"
            print(f"{state:9} {call['file']}  {duration:6.1f} s  {len(data) / 1024:6.1f} KiB")
    write_if_changed(out_dir / "manifest.csv", manifest_bytes(calls))
    if timings_path is not None:
        write_if_changed(timings_path, timings_bytes(all_timings))
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Render the bundled demo sales calls with espeak-ng."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--calls", type=Path, default=DEFAULT_CALLS, help="calls.json to render")
    parser.add_argument(
        "--pronunciations",
        type=Path,
        default=DEFAULT_PRONUNCIATIONS,
        help="JSON map of written word -> spoken form for espeak-ng",
    )
    parser.add_argument(
        "--timings", type=Path, default=None, help="also write per-turn start/end times (JSON)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return build(args.calls, args.pronunciations, args.out, args.timings)
    except ToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
