"""Ingest: find input files, hash and read them, and read the call manifest into Calls.

Audio is only identified here (hashed, dated); `containers` checks that it is whole and
`transcribe` turns it into turns. Transcript files are parsed by `transcripts`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from objections.errors import InputError
from objections.models import Call
from objections.transcripts import decode_text, undecodable_at, valid_date

AUDIO_SUFFIXES = {
    ".wav", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".flac", ".aac",
    ".mp4", ".m4v", ".webm", ".mkv", ".mov",
}  # fmt: skip
TRANSCRIPT_SUFFIXES = {".vtt", ".srt", ".txt", ".json"}
# Files and folders that sit beside calls but are not calls.
SKIP_NAMES = {"objections.toml", "manifest.csv", "assets", "objections-out", "README.md"}


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
        raise InputError(str(path), f"manifest is not UTF-8 text ({undecodable_at(exc)})") from None
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
            date=valid_date(clean.get("date"), path),
            account=clean.get("account") or None,
            stage=clean.get("stage") or None,
            outcome=(clean.get("outcome") or "").lower() or None,
        )
        for key in {call_id, file, Path(file).name, Path(file).stem} - {""}:
            rows[key] = row
    return rows


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
