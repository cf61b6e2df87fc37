"""Audio: decoding any recording to 16 kHz channels, window by window, and finding its speech.

Memory stays flat however long the call: the file is decoded WINDOW seconds at a time. Speech
is found per window with Silero VAD (runs of digital silence, the other side talking on a
dialer recording, are not fed to it); speech still going at a window's end is carried into the
next window and searched again whole, so no stretch is cut at a window's edge.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from objections.errors import InputError

SAMPLE_RATE = 16000
MAX_STRETCH = 25.0  # seconds; longer speech is split (VAD) so that the tail still fits the window
SILENCE_FLOOR = 1e-4  # digital silence: every sample below -80 dBFS
SILENT_RUN = 3.0  # seconds of digital silence that VAD skips...
SILENCE_KEPT = 1.0  # ...but for this much on either side, which VAD needs to end a span
VAD_WINDOW = 512  # Silero's window in samples
WINDOW = 60.0  # seconds of audio decoded, and searched for speech, at a time
VAD_EDGE = 1.0  # speech this close to a window's end may go on: it is searched again, whole


def load_channels(path: Path) -> list[np.ndarray]:
    """The whole file at 16 kHz float32, one array per channel (a stereo file whose channels
    are identical is one channel). Transcription streams instead (`decode_windows`)."""
    channels: list[list[np.ndarray]] = []
    for window in decode_windows(path):
        channels = channels or [[] for _ in window]
        for held, audio in zip(channels, window, strict=True):
            held.append(audio)
    return [np.concatenate(held) for held in channels]


def decode_windows(
    path: Path, seconds: float | None = None, one: bool | None = None
) -> Iterator[list[np.ndarray]]:
    """Decode audio (any container PyAV reads) to 16 kHz float32 in consecutive windows of
    `seconds` (WINDOW by default; the last one shorter), one array per channel: memory stays
    the same whatever the call's length. Two channels identical from start to end are a mono
    recording stored as stereo: they come as one. `one`: whether to give one channel, when the
    caller already knows (else it is found out, at the cost of reading the file once more)."""
    if one is None:
        one = _identical_channels(path)
    for window in _windows(path, seconds):
        yield [window[0]] if one or len(window) == 1 else [window[0], window[1]]


def _identical_channels(path: Path) -> bool:
    """Whether the file's two channels are the same (to 1e-4) all the way through. Decided on
    the whole file, never on a start: a minute of hold music on both sides does not make a
    stereo call mono. A real stereo call differs early, so this stops early."""
    windows = _windows(path, None)
    try:
        seen = False
        for window in windows:
            if len(window) < 2 or not np.allclose(window[0], window[1], atol=1e-4):
                return False
            seen = True
        return seen
    finally:
        windows.close()


def _windows(path: Path, seconds: float | None) -> Generator[np.ndarray, None, None]:
    """(channels, samples) windows of the decoded file, one or two channels."""
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise InputError(str(path), f"not decodable audio ({first_line(exc)})") from None
    samples = 0
    with container:
        if not container.streams.audio:
            raise InputError(str(path), "no audio track")
        stereo = container.streams.audio[0].channels >= 2
        chunks = _resampled(container, 2 if stereo else 1, path)
        for window in _rewindowed(chunks, int((seconds or WINDOW) * SAMPLE_RATE)):
            samples += window.shape[1]
            yield window
    if not samples:
        raise InputError(str(path), "audio track is empty")


def _resampled(container: Any, channels: int, path: Path) -> Iterator[np.ndarray]:
    """(channels, samples) float32 arrays at 16 kHz, frame by frame, as faster-whisper's
    decode_audio makes them (through 16-bit; frames FFmpeg cannot decode are skipped)."""
    import av

    layout = "stereo" if channels == 2 else "mono"
    resampler = av.AudioResampler(format="s16", layout=layout, rate=SAMPLE_RATE)
    frames = container.decode(audio=0)
    try:
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                frame = None
            except av.error.InvalidDataError:
                continue
            if frame is not None:
                frame.pts = None  # resample whatever the timestamps say
            for out in resampler.resample(frame):  # None flushes the resampler
                pcm = out.to_ndarray().reshape(-1, channels).T
                yield pcm.astype(np.float32) / 32768.0
            if frame is None:
                return
    except (av.error.FFmpegError, ValueError) as exc:
        raise InputError(str(path), f"audio is corrupt or truncated ({first_line(exc)})") from None


def _rewindowed(chunks: Iterator[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """(channels, samples) chunks regrouped into windows of `size` samples (the last shorter)."""
    pending: list[np.ndarray] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += chunk.shape[1]
        while held >= size:
            joined = np.concatenate(pending, axis=1)
            yield joined[:, :size]
            pending, held = [joined[:, size:]], joined.shape[1] - size
    if held:
        yield np.concatenate(pending, axis=1)


def first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def speech_spans(audio: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges of speech (Silero VAD), split wherever a speaker pauses for long enough
    that the other could have spoken, and before MAX_STRETCH seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        min_silence_duration_ms=600,
        speech_pad_ms=150,
        min_speech_duration_ms=250,
        max_speech_duration_s=MAX_STRETCH - 1,
    )
    spans = []
    for low, high in sounding_regions(audio):
        for span in get_speech_timestamps(audio[low:high], options):
            spans.append((low + span["start"], low + span["end"]))
    return spans


def sounding_regions(audio: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges that are not digital silence: runs of SILENT_RUN seconds or more where
    every sample is under SILENCE_FLOOR are left out, but for SILENCE_KEPT at either end."""
    windows = len(audio) // VAD_WINDOW
    if windows == 0:
        return [(0, len(audio))] if len(audio) else []
    peaks = np.abs(audio[: windows * VAD_WINDOW]).reshape(windows, VAD_WINDOW).max(axis=1)
    silent = np.concatenate([[False], peaks < SILENCE_FLOOR, [False]])
    edges = np.flatnonzero(np.diff(silent.astype(np.int8)))
    run = int(SILENT_RUN * SAMPLE_RATE / VAD_WINDOW)
    kept = int(SILENCE_KEPT * SAMPLE_RATE / VAD_WINDOW)
    regions = []
    start = 0  # in windows
    for first, after in zip(edges[::2], edges[1::2], strict=True):  # silent windows [first, after)
        if after - first < run:
            continue
        if first > 0:
            regions.append((start, first + kept))
        start = after - kept if after < windows else windows
    if start < windows:
        regions.append((start, windows))
    out = []
    for low, high in regions:
        end = len(audio) if high >= windows else high * VAD_WINDOW
        if end > low * VAD_WINDOW:
            out.append((int(low) * VAD_WINDOW, int(end)))
    return out


def fixed_spans(samples: int) -> list[tuple[int, int]]:
    """Without VAD: the audio in consecutive pieces that fit Whisper's window."""
    size = int(MAX_STRETCH * SAMPLE_RATE)
    return [(start, min(samples, start + size)) for start in range(0, samples, size)]


def stream_speech(
    windows: Iterable[list[np.ndarray]],
    find: Callable[[list[np.ndarray]], list[list[tuple[int, int]]]],
) -> Iterator[list[list[tuple[int, np.ndarray]]]]:
    """Speech in a stream of windows: for each window, each channel's spans that are complete,
    as (first sample in the call, audio). `find` gives spans in each channel's buffer. Speech
    still going within VAD_EDGE of a window's end is not cut there: the buffer from where that
    span starts is carried into the next window and searched again, whole."""
    carry: list[np.ndarray] = []
    offsets: list[int] = []
    stream = iter(windows)
    window = next(stream, None)
    while window is not None:
        following = next(stream, None)
        if not carry:
            carry, offsets = [np.zeros(0, np.float32) for _ in window], [0] * len(window)
        buffers = [np.concatenate([c, w]) for c, w in zip(carry, window, strict=True)]
        complete = []
        for channel, (buffer, spans) in enumerate(zip(buffers, find(buffers), strict=True)):
            cut = len(buffer) if following is None else settled_until(spans, len(buffer))
            complete.append([(offsets[channel] + a, buffer[a:b]) for a, b in spans if b <= cut])
            cut -= (offsets[channel] + cut) % VAD_WINDOW  # VAD's windows fall as in the whole file
            carry[channel] = buffer[cut:]
            offsets[channel] += cut
        yield complete
        window = following


def settled_until(spans: list[tuple[int, int]], size: int) -> int:
    """Where a buffer of `size` samples can be cut without cutting speech: before the first
    span that reaches within VAD_EDGE of its end (but never keeping more than two stretches)."""
    edge = size - int(VAD_EDGE * SAMPLE_RATE)
    cut = min([a for a, b in spans if b > edge] + [edge])
    return max(cut, size - int(2 * MAX_STRETCH * SAMPLE_RATE), 0)
