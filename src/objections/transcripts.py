"""Transcripts: parse the transcript files we accept (native JSON, WebVTT, SRT, plain text)
into a Call's turns, refusing what cannot be read rather than guessing at it."""

from __future__ import annotations

import codecs
import html
import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from objections.errors import InputError
from objections.models import Call, Role, Turn

WORDS_PER_SECOND = 2.5  # to estimate times for transcripts that carry none


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM), or UTF-16 when a BOM says so (Windows "Unicode" saves).
    Anything else is refused rather than guessed: a wrong guess garbles every quote."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def undecodable_at(exc: UnicodeDecodeError) -> str:
    return f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}; save it as UTF-8"


# Here rather than in ingest: JSON transcripts carry dates as well as the manifest does.
def valid_date(value: str | None, where: Path) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        raise InputError(str(where), f"bad date {value!r} (expected YYYY-MM-DD)") from None


def parse_transcript(path: Path, data: bytes, call: Call) -> Call:
    """Fill `call` with the turns (and any metadata) of a transcript file."""
    try:
        text = decode_text(data)
    except UnicodeDecodeError as exc:
        where = undecodable_at(exc)
        raise InputError(str(path), f"transcript is not UTF-8 text ({where})") from None
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
                value = valid_date(value, path) or ""
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
