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
    being copied, or a recorder that died) are each named before any model runs on them. A cut
    shows where a header states the length (WAV, FLAC, MP4, an MP3 with a Xing/Info or VBRI
    header) and in Ogg (its last page must mark the end of the stream); an MP3 without such a
    header cut short cannot be told from a shorter recording.
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
        # FLAC and MP4 headers state the length; FFmpeg's MP3 and Ogg lengths are estimates
        # (their cuts are found below: Ogg's end page, the MP3's Xing/VBRI frame count).
        declared = container.duration / 1e6 if container.duration else 0.0
        kind = container.format.name
        trusted = kind == "flac" or "mp4" in kind
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
    elif kind == "ogg" and ogg_is_complete(path) is False:
        raise InputError(
            str(path),
            f"audio is truncated: the Ogg stream breaks off at {_clock(end)} without its end "
            "page (still being copied?)",
        )
    elif kind == "mp3" and (stated := mp3_promised_seconds(path, end)):
        _check_length(path, stated, end)
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


# --- Ogg: a whole logical stream ends with a page that carries the end-of-stream flag --------

OGG_TAIL = 2 * 65307  # two pages of the largest size: the tail holds at least one whole page
_OGG_AUDIO = (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ", b"PCM     ")


@dataclass
class OggPage:
    offset: int
    end: int
    flags: int  # 0x01 continued packet, 0x02 first page of a stream, 0x04 last page of a stream
    granule: int
    serial: int
    body: bytes


def ogg_is_complete(path: Path) -> bool | None:
    """For an Ogg file: whether the audio's last page marks the end of its stream (a copy cut
    short has no such page). None when it cannot tell: not Ogg, or no whole audio page in the
    last OGG_TAIL bytes. Streams that the first pages show are not audio (video, Skeleton) are
    left out; junk after the last page is skipped (a page counts only if its checksum holds)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(OGG_TAIL)
            size = fh.seek(0, io.SEEK_END)
            fh.seek(max(0, size - OGG_TAIL))
            tail = fh.read()
    except OSError:
        return None
    if not head.startswith(b"OggS"):
        return None
    # Every stream starts with a page flagged 0x02 before any data (more begin at each link of
    # a chained file; those are read as audio).
    other = set()
    for page in _ogg_pages(head, first=True):
        if not page.flags & 0x02:
            break
        if not page.body.startswith(_OGG_AUDIO):
            other.add(page.serial)
    last = next((p for p in _ogg_pages(tail, first=False) if p.serial not in other), None)
    return None if last is None else bool(last.flags & 0x04)


def _ogg_pages(data: bytes, first: bool) -> Iterator[OggPage]:
    """The valid pages of `data`: from its start onwards (`first`), else from its end back."""
    at = 0 if first else len(data)
    while True:
        at = data.find(b"OggS", at) if first else data.rfind(b"OggS", 0, at)
        if at < 0:
            return
        page = _ogg_page(data, at)
        if page:
            yield page
        if first:
            if not page:
                return
            at = page.end  # pages follow one another from the start


def _ogg_page(data: bytes, at: int) -> OggPage | None:
    if len(data) < at + 27 or data[at + 4] != 0:
        return None
    flags, granule, serial, _, crc, count = struct.unpack_from("<BqIIIB", data, at + 5)
    lacing = data[at + 27 : at + 27 + count]
    end = at + 27 + count + sum(lacing)
    if len(lacing) < count or end > len(data):
        return None
    if _ogg_crc(data[at : at + 22] + bytes(4) + data[at + 26 : end]) != crc:
        return None
    return OggPage(at, end, flags, granule, serial, data[at + 27 + count : end])


_OGG_CRC_TABLE: list[int] = []


def _ogg_crc(data: bytes) -> int:
    """Ogg's CRC-32 (polynomial 0x04C11DB7, not bit-reflected, so not zlib's)."""
    table = _OGG_CRC_TABLE
    if not table:
        for n in range(256):
            r = n << 24
            for _ in range(8):
                r = ((r << 1) ^ 0x04C11DB7 if r & 0x80000000 else r << 1) & 0xFFFFFFFF
            table.append(r)
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc


# --- MP3: a Xing/Info or VBRI header in the first frame counts the frames ----------------------

_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_promised_frames(path: Path) -> tuple[int, int, float] | None:
    """For an MP3 whose first frame is a Xing/Info (LAME, FFmpeg) or VBRI header: the frames
    and bytes it promises (0 where it does not say) and the seconds one frame holds. None for
    an MP3 without one (a cut then cannot be told from a shorter recording)."""
    try:
        with path.open("rb") as fh:
            start = _id3v2_size(fh.read(10))
            fh.seek(start)
            data = fh.read(4096)
    except OSError:
        return None
    at = next((i for i in range(len(data) - 4) if _mp3_header(data, i)), None)
    if at is None:
        return None
    version, layer, rate, mono = _mp3_header(data, at) or (0, 0, 0, False)
    samples = 384 if layer == 3 else 1152 if version == 3 or layer == 2 else 576
    side = (17 if mono else 32) if version == 3 else (9 if mono else 17)
    xing = data[at + 4 + side : at + 4 + side + 16]
    vbri = data[at + 36 : at + 54]
    frames = size = 0
    if xing[:4] in (b"Xing", b"Info") and len(xing) >= 8:
        fields = struct.unpack(">I", xing[4:8])[0]
        values = iter(struct.unpack(">II", xing[8:16]) if len(xing) == 16 else ())
        frames = next(values, 0) if fields & 1 else 0
        size = next(values, 0) if fields & 2 else 0
    elif vbri[:4] == b"VBRI" and len(vbri) == 18:
        size, frames = struct.unpack(">II", vbri[10:18])
    if not (frames or size):
        return None
    return frames, size, samples / rate


def mp3_promised_seconds(path: Path, held: float) -> float | None:
    """The length an MP3's Xing/Info or VBRI header promises, given the `held` seconds that
    its packets hold (used where the header states bytes but not frames)."""
    promised = mp3_promised_frames(path)
    if promised is None:
        return None
    frames, size, seconds = promised
    if frames:
        return frames * seconds
    try:
        with path.open("rb") as fh:
            start = _id3v2_size(fh.read(10))
            fh.seek(-128, io.SEEK_END)
            stored = fh.tell() + 128 - start - (128 if fh.read(3) == b"TAG" else 0)
    except OSError:
        return None
    return held * size / stored if stored > 0 else None


def _id3v2_size(head: bytes) -> int:
    """Bytes an ID3v2 tag at the start of an MP3 takes (0 if none)."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for byte in head[6:10]:
        size = size << 7 | byte & 0x7F
    return 10 + size + (10 if head[5] & 0x10 else 0)


def _mp3_header(data: bytes, at: int) -> tuple[int, int, int, bool] | None:
    """(version bits, layer bits, sample rate, mono) of a valid MPEG audio frame header."""
    if data[at] != 0xFF or data[at + 1] & 0xE0 != 0xE0:
        return None
    version, layer = data[at + 1] >> 3 & 3, data[at + 1] >> 1 & 3
    bitrate, rate = data[at + 2] >> 4, data[at + 2] >> 2 & 3
    if version == 1 or layer == 0 or bitrate in (0, 15) or rate == 3:
        return None
    return version, layer, _MP3_RATES[version][rate], data[at + 3] >> 6 == 3


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
