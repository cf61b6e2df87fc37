"""Containers: tell a whole audio recording from one cut short or damaged, before it is used.

A recording still being copied, or left by a recorder that died, decodes without complaint as a
shorter call, and the transcript would silently miss its end. So each audio file is checked
against what its container promises (WAV, FLAC and MP4 headers, Ogg's end-of-stream page, an
MP3's Xing/Info or VBRI frame count) and every packet is read without decoding; a file that fails
gets one clear InputError line naming what is wrong instead of a short transcript.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from objections.errors import InputError


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
