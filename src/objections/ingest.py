"""Ingest: find input files, read the call manifest, and parse transcripts into Calls.

Audio is only identified here (hashed, dated); `transcribe` turns it into turns.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import html
import io
import json
import math
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from objections.errors import InputError
from objections.models import Call, Role, Turn

AUDIO_SUFFIXES = {
    ".wav", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".flac", ".aac",
    ".mp4", ".m4v", ".webm", ".mkv", ".mov",
}  # fmt: skip
TRANSCRIPT_SUFFIXES = {".vtt", ".srt", ".txt", ".json"}
# Files and folders that sit beside calls but are not calls.
SKIP_NAMES = {"objections.toml", "manifest.csv", "assets", "objections-out", "README.md"}
WORDS_PER_SECOND = 2.5  # to estimate times for transcripts that carry none


@dataclass
class ManifestRow:
    call_id: str
    file: str = ""
    date: str | None = None
    account: str | None = None
    stage: str | None = None
    outcome: str | None = None


def discover(inputs: list[Path]) -> list[Path]:
    """Every audio or transcript file under the inputs, in a stable order."""
    found: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found.extend(_walk(path))
        else:
            found.append(path)
    # One file named twice (a folder and a file in it, relative and absolute) is one input.
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _walk(folder: Path) -> list[Path]:
    files = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p in SKIP_NAMES for p in parts):
            continue
        if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES | TRANSCRIPT_SUFFIXES:
            files.append(path)
    return files


def is_audio(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_SUFFIXES


def check_type(path: Path) -> None:
    """A file named on the command line must be audio or a transcript we can read."""
    if path.suffix.lower() not in AUDIO_SUFFIXES | TRANSCRIPT_SUFFIXES:
        kinds = ", ".join(sorted(AUDIO_SUFFIXES | TRANSCRIPT_SUFFIXES))
        shown = path.suffix or "no extension"
        raise InputError(str(path), f"unsupported file type ({shown}; expected one of {kinds})")


def check_audio(path: Path) -> float:
    """Raise InputError unless `path` holds one whole audio track; return its length in seconds.

    Reads every packet of the track without decoding it (a small fraction of transcription's
    cost), so a file that is not audio, a video without sound, and a recording cut short (still
    being copied, or a recorder that died) are each named before any model runs on them.
    """
    import av

    promised = wav_promised_seconds(path)
    if promised:
        _check_length(path, *promised)
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise InputError(str(path), f"not audio that FFmpeg can read ({_av_reason(exc)})") from None
    with container:
        if not container.streams.audio:
            what = "a video with no audio track" if container.streams.video else "no audio track"
            raise InputError(str(path), what)
        stream = container.streams.audio[0]
        if not stream.codec_context.sample_rate:
            raise InputError(str(path), "not decodable audio (no valid audio frames)")
        # FLAC and MP4 headers state the length; MP3 and Ogg lengths are only estimates.
        declared = container.duration / 1e6 if container.duration else 0.0
        trusted = container.format.name == "flac" or "mp4" in container.format.name
        end, packets = 0.0, 0
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                at = float((packet.pts or 0) * packet.time_base) if packet.time_base else end
                if packet.is_corrupt:
                    raise InputError(str(path), f"audio is truncated or damaged at {_clock(at)}")
                packets += 1
                end = max(end, at + float((packet.duration or 0) * (packet.time_base or 0)))
        except av.error.FFmpegError as exc:
            raise InputError(str(path), f"audio is damaged ({_av_reason(exc)})") from None
    if not packets:
        raise InputError(str(path), "the audio track is empty")
    if trusted:
        _check_length(path, declared, end)
    return end


def _check_length(path: Path, promised: float, held: float) -> None:
    if promised - held > max(0.5, 0.01 * promised):
        raise InputError(
            str(path),
            f"audio is truncated: its header promises {_clock(promised)}, the file holds "
            f"{_clock(held)} (still being copied?)",
        )


def wav_promised_seconds(path: Path) -> tuple[float, float] | None:
    """For a WAV file: the length its header promises and the length its bytes hold."""
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            byte_rate = 0
            while chunk := fh.read(8):
                if len(chunk) < 8:
                    return None
                name, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if name == b"fmt ":
                    fmt = fh.read(size + size % 2)
                    byte_rate = struct.unpack("<I", fmt[8:12])[0] if len(fmt) >= 12 else 0
                elif name == b"data":
                    held = path.stat().st_size - fh.tell()
                    # 0 and 0xFFFFFFFF are what streaming writers put before they know the size.
                    if not byte_rate or size in (0, 0xFFFFFFFF):
                        return None
                    return size / byte_rate, min(size, held) / byte_rate
                else:
                    fh.seek(size + size % 2, 1)
    except OSError:
        return None
    return None


def _av_reason(exc: BaseException) -> str:
    """FFmpeg's message without the file name it repeats."""
    text = getattr(exc, "strerror", None) or (str(exc).splitlines() or [""])[0]
    return str(text or type(exc).__name__)


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def sha256_file(path: Path) -> str:
    """The file's sha256, read in blocks (audio can be large); InputError if it is unreadable
    or empty."""
    digest = hashlib.sha256()
    size = 0
    with _readable(path), path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    if not size:
        raise InputError(str(path), "empty file (0 bytes)")
    return digest.hexdigest()


def read_bytes(path: Path) -> bytes:
    with _readable(path):
        data = path.read_bytes()
    if not data:
        raise InputError(str(path), "empty file (0 bytes)")
    return data


@contextmanager
def _readable(path: Path) -> Iterator[None]:
    """OS errors while reading `path` as one-line InputErrors."""
    try:
        yield
    except PermissionError:
        raise InputError(str(path), "permission denied") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a folder, not a file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read ({exc.strerror or exc})") from None


def load_manifest(path: Path) -> dict[str, ManifestRow]:
    """Manifest rows keyed by call_id, file name and file stem, for lookup from any of them."""
    try:
        text = decode_text(read_bytes(path))
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"manifest is not UTF-8 text ({_where(exc)})") from None
    try:
        return _manifest_rows(path, csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(str(path), f"manifest is not valid CSV ({exc})") from None


def _manifest_rows(path: Path, reader: csv.DictReader[str]) -> dict[str, ManifestRow]:
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if not columns & {"call_id", "file"}:
        raise InputError(str(path), "manifest needs a 'call_id' or 'file' column")
    rows: dict[str, ManifestRow] = {}
    for line in reader:
        clean = {k.strip().lower(): (v or "").strip() for k, v in line.items() if k}
        file = clean.get("file", "")
        call_id = clean.get("call_id") or Path(file).stem
        if not call_id:
            continue
        row = ManifestRow(
            call_id=call_id,
            file=file,
            date=_valid_date(clean.get("date"), path),
            account=clean.get("account") or None,
            stage=clean.get("stage") or None,
            outcome=(clean.get("outcome") or "").lower() or None,
        )
        for key in {call_id, file, Path(file).name, Path(file).stem} - {""}:
            rows[key] = row
    return rows


def _valid_date(value: str | None, where: Path) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        raise InputError(str(where), f"bad date {value!r} (expected YYYY-MM-DD)") from None


def new_call(path: Path, sha: str, kind: str, manifest: dict[str, ManifestRow]) -> Call:
    """A Call for a file, with what the manifest knows about it."""
    row = manifest.get(path.name) or manifest.get(path.stem)
    call = Call(
        call_id=row.call_id if row else path.stem,
        source=str(path),
        sha256=sha,
        kind="audio" if kind == "audio" else "transcript",
    )
    if row:
        call.date, call.account, call.stage, call.outcome = (
            row.date, row.account, row.stage, row.outcome,
        )  # fmt: skip
    return call


def file_date(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM), or UTF-16 when a BOM says so (Windows "Unicode" saves).
    Anything else is refused rather than guessed: a wrong guess garbles every quote."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _where(exc: UnicodeDecodeError) -> str:
    return f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}; save it as UTF-8"


def parse_transcript(path: Path, data: bytes, call: Call) -> Call:
    """Fill `call` with the turns (and any metadata) of a transcript file."""
    try:
        text = decode_text(data)
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"transcript is not UTF-8 text ({_where(exc)})") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        _parse_json(path, text, call)
    elif suffix == ".vtt":
        call.turns = _merge_cues(_parse_cues(path, text, vtt=True))
    elif suffix == ".srt":
        call.turns = _merge_cues(_parse_cues(path, text, vtt=False))
    else:
        call.turns = _parse_plain(text)
    if not any(t.text.strip() for t in call.turns):
        raise InputError(str(path), "transcript has no speech in it")
    return call


# --- native JSON (the devset's call format) -------------------------------------------------


def _parse_json(path: Path, text: str, call: Call) -> None:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise InputError(str(path), "invalid JSON (nested too deeply)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("turns"), list):
        raise InputError(str(path), "JSON transcript needs an object with a 'turns' list")
    for key in ("date", "account", "stage", "outcome"):
        if getattr(call, key) is None and isinstance(doc.get(key), str):
            value = doc[key].strip()
            if key == "date":
                value = _valid_date(value, path) or ""
            elif key == "outcome":
                value = value.lower()
            setattr(call, key, value or None)
    if isinstance(doc.get("call_id"), str) and doc["call_id"] and call.call_id == path.stem:
        call.call_id = doc["call_id"]
    speakers = doc.get("speakers") or {}
    if isinstance(speakers, dict):
        call.speakers = {str(k): _role(v) for k, v in speakers.items()}
    call.turns = [_json_turn(path, i, t) for i, t in enumerate(doc["turns"])]


def _json_turn(path: Path, index: int, raw: Any) -> Turn:
    if not isinstance(raw, dict):
        raise InputError(str(path), f"turn {index} is not an object")
    sentences = raw.get("sentences")
    if isinstance(sentences, list):
        raw_texts = [s.get("text") if isinstance(s, dict) else s for s in sentences]
        texts = [t for t in raw_texts if isinstance(t, str) and t.strip()]
    else:
        texts = []
    body = raw.get("text") if isinstance(raw.get("text"), str) else " ".join(texts)
    try:
        start = float(raw.get("start", 0.0))
        end = float(raw.get("end", start))
    except (TypeError, ValueError, OverflowError):
        raise InputError(str(path), f"turn {index} has a non-numeric start/end") from None
    if not (math.isfinite(start) and math.isfinite(end)):
        raise InputError(str(path), f"turn {index} has a start/end that is not a finite number")
    role = raw.get("role")
    speaker = raw.get("speaker")
    return Turn(
        speaker="Speaker" if speaker is None or speaker == "" else str(speaker),
        start=start,
        end=max(end, start),
        text=body or "",
        sentences=texts,
        role=_role(role) if role else "unknown",
    )


def _role(value: Any) -> Role:
    value = str(value).lower()
    if value in ("rep", "seller", "agent", "host"):
        return "rep"
    if value in ("buyer", "prospect", "customer", "client"):
        return "buyer"
    return "unknown"


# --- WebVTT and SRT -------------------------------------------------------------------------

_CUE_TIME = re.compile(
    r"(?P<s>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<e>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]+>")
_NAME_PREFIX = re.compile(r"^\s*([A-Z][\w.'\- ]{0,40}?|Speaker \d+)\s*:\s+(.*)$", re.DOTALL)


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    value = 0.0
    for part in parts:
        value = value * 60 + float(part)
    return value


def _parse_cues(path: Path, text: str, vtt: bool) -> list[Turn]:
    if vtt and not text.lstrip().startswith("WEBVTT"):
        raise InputError(str(path), "not a WebVTT file (no WEBVTT header)")
    cues: list[Turn] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line for line in block.strip().split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if _CUE_TIME.search(line)), None)
        if timing is None:
            continue
        match = _CUE_TIME.search(lines[timing])
        assert match is not None
        body = " ".join(lines[timing + 1 :])
        speaker, content = _cue_speaker(body)
        if content:
            start, end = _seconds(match["s"]), _seconds(match["e"])
            cues.append(Turn(speaker=speaker, start=start, end=max(start, end), text=content))
    if not cues:
        raise InputError(str(path), "no cues with timings found")
    return cues


def _cue_speaker(body: str) -> tuple[str, str]:
    voice = _VOICE.search(body)
    speaker = voice.group(1).strip() if voice else ""
    content = re.sub(r"\s+", " ", html.unescape(_TAG.sub("", body))).strip()
    if not speaker:
        named = _NAME_PREFIX.match(content)
        if named:
            speaker, content = named.group(1).strip(), named.group(2).strip()
    return speaker or "Speaker", content


def _merge_cues(cues: list[Turn]) -> list[Turn]:
    """Consecutive cues of one speaker are one turn."""
    turns: list[Turn] = []
    for cue in cues:
        if turns and turns[-1].speaker == cue.speaker and cue.start - turns[-1].end < 2.0:
            last = turns[-1]
            last.text = f"{last.text} {cue.text}"
            last.end = max(last.end, cue.end)
        else:
            turns.append(cue)
    return turns


# --- plain text: "Name: text" lines, optionally "[hh:mm:ss]" stamps -------------------------

_PLAIN_LINE = re.compile(
    r"^\s*(?:\[(?P<t>(?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?)\]\s*)?(?P<name>[^:\[\]\s][^:\[\]]{0,59}?)\s*:\s+(?P<text>.+)$"
)


def _parse_plain(text: str) -> list[Turn]:
    turns: list[Turn] = []
    clock = 0.0
    for raw in text.replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        match = _PLAIN_LINE.match(line)
        if match and not match["name"].strip().startswith("http"):
            start = _seconds(match["t"]) if match["t"] else clock
            duration = len(match["text"].split()) / WORDS_PER_SECOND
            turns.append(Turn(match["name"].strip(), start, start + duration, match["text"]))
        elif turns:  # a line without a name continues the last speaker
            turns[-1].text += " " + line
            turns[-1].end += len(line.split()) / WORDS_PER_SECOND
        else:
            turns.append(Turn("Speaker", clock, clock + len(line.split()) / WORDS_PER_SECOND, line))
        clock = turns[-1].end
    return _merge_cues(turns)
