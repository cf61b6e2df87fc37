"""objections.transcribe without the model: channel handling, turn merging, the hallucination
filter, and how speech is cut into stretches and batches. Audio is synthesized here (numpy and
the stdlib `wave` module); nothing here loads Whisper."""

from __future__ import annotations

import itertools
import sys
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import objections.audio as audio_module
import objections.transcribe as transcribe_module
from objections.audio import (
    MAX_STRETCH,
    SAMPLE_RATE,
    decode_windows,
    fixed_spans,
    load_channels,
    sounding_regions,
    stream_speech,
)
from objections.config import TranscribeConfig
from objections.errors import InputError
from objections.models import Turn
from objections.transcribe import (
    BATCH,
    CUDA_BATCH,
    LOOP_NGRAM,
    MAX_FRAMES,
    MIN_FRAMES,
    TAIL_FRAMES,
    TURN_GAP,
    WhisperTranscriber,
    choose_model,
    compression_ratio,
    decode_batches,
    encoder_frames,
    group_spans,
    is_real_speech,
    merge_segments,
    spelling_hotwords,
)

RATE = SAMPLE_RATE


def write_wav(path: Path, channels: list[np.ndarray], rate: int = RATE) -> Path:
    """16-bit PCM, one column per channel."""
    frames = np.stack(channels, axis=1) if len(channels) > 1 else channels[0][:, None]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(frames.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(frames, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def tone(seconds: float, hz: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def seconds(s: float) -> int:
    return int(s * RATE)


# --- load_channels --------------------------------------------------------------------------------


def test_stereo_with_identical_channels_is_mono(tmp_path: Path) -> None:
    voice = tone(1.0, 220)
    channels = load_channels(write_wav(tmp_path / "dup.wav", [voice, voice]))
    assert len(channels) == 1
    assert abs(len(channels[0]) - RATE) <= 1


def test_stereo_with_different_channels_stays_two(tmp_path: Path) -> None:
    left = np.concatenate([tone(0.5, 220), np.zeros(RATE // 2, dtype=np.float32)])
    right = np.concatenate([np.zeros(RATE // 2, dtype=np.float32), tone(0.5, 330)])
    channels = load_channels(write_wav(tmp_path / "call.wav", [left, right]))
    assert len(channels) == 2
    assert all(c.dtype == np.float32 for c in channels)
    # Each side keeps its own sound: the rep's half is loud on the left, silent on the right.
    first, second = slice(0, RATE // 2 - 400), slice(RATE // 2 + 400, RATE)
    assert np.abs(channels[0][first]).max() > 0.2 > np.abs(channels[1][first]).max()
    assert np.abs(channels[1][second]).max() > 0.2 > np.abs(channels[0][second]).max()


def test_mono_is_one_channel_resampled_to_16k(tmp_path: Path) -> None:
    channels = load_channels(write_wav(tmp_path / "mono.wav", [tone(2.0, 440, 8000)], 8000))
    assert len(channels) == 1
    assert abs(len(channels[0]) - 2 * RATE) <= 2


def test_a_file_that_is_not_audio_is_an_input_error(tmp_path: Path) -> None:
    fake = tmp_path / "notes.wav"
    fake.write_text("these are meeting notes, not a recording\n" * 20)
    with pytest.raises(InputError, match=r"notes\.wav") as caught:
        load_channels(fake)
    assert "not decodable audio" in caught.value.reason


def test_a_file_without_an_audio_track_is_an_input_error(tmp_path: Path) -> None:
    av = pytest.importorskip("av")
    path = tmp_path / "screen.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(InputError) as caught:
        load_channels(path)
    assert caught.value.reason == "no audio track"


def test_an_audio_track_with_no_samples_is_an_input_error(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "empty.wav", [np.zeros(0, dtype=np.float32)])
    with pytest.raises(InputError):
        load_channels(path)


# --- merge_segments -------------------------------------------------------------------------------


def turn(channel: int | None, start: float, end: float, text: str) -> Turn:
    return Turn(f"channel {channel}", start, end, text, channel=channel)


def test_merge_interleaves_channels_by_time() -> None:
    merged = merge_segments(
        [turn(0, 0.0, 2.0, "Hi."), turn(0, 6.0, 8.0, "And?"), turn(1, 2.5, 5.0, "Hello.")]
    )
    assert [(t.channel, t.text) for t in merged] == [(0, "Hi."), (1, "Hello."), (0, "And?")]


def test_merge_joins_one_channels_consecutive_segments_within_the_turn_gap() -> None:
    merged = merge_segments([turn(1, 0.0, 2.0, "Well,"), turn(1, 2.0 + TURN_GAP - 0.1, 5.0, "no.")])
    assert [(t.start, t.end, t.text) for t in merged] == [(0.0, 5.0, "Well, no.")]


def test_merge_keeps_turns_apart_after_a_long_pause() -> None:
    merged = merge_segments([turn(1, 0.0, 2.0, "Well."), turn(1, 2.0 + TURN_GAP, 5.0, "Anyway.")])
    assert [t.text for t in merged] == ["Well.", "Anyway."]


def test_merge_never_glues_a_speaker_across_the_other_speakers_reply() -> None:
    merged = merge_segments(
        [turn(0, 0.0, 2.0, "Price?"), turn(1, 2.2, 2.8, "Too high."), turn(0, 3.0, 4.0, "Ok.")]
    )
    assert [t.text for t in merged] == ["Price?", "Too high.", "Ok."]


def test_merge_of_nothing_is_nothing() -> None:
    assert merge_segments([]) == []


# --- is_real_speech -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Thank you.", "Thanks for watching!", "you", "Bye.", "..."])
def test_stock_phrases_with_low_confidence_are_dropped(text: str) -> None:
    assert not is_real_speech(text, no_speech=0.1, logprob=-0.8, compression=1.0)
    assert not is_real_speech(text, no_speech=0.5, logprob=-0.2, compression=1.0)


def test_a_confident_thank_you_is_real_speech() -> None:
    assert is_real_speech("Thank you.", no_speech=0.05, logprob=-0.2, compression=1.0)


def test_real_speech_is_kept() -> None:
    text = "Honestly the per invoice fee is more than we can justify."
    assert is_real_speech(text, no_speech=0.02, logprob=-0.3, compression=compression_ratio(text))


def test_silence_and_repetition_loops_are_dropped() -> None:
    assert not is_real_speech("", no_speech=0.0, logprob=-0.1, compression=0.0)
    assert not is_real_speech("   ", no_speech=0.0, logprob=-0.1, compression=0.0)
    assert not is_real_speech("We need to", no_speech=0.9, logprob=-1.5, compression=1.0)
    loop = "I think that I think that " * 12
    assert compression_ratio(loop) > 2.4
    assert not is_real_speech(
        loop, no_speech=0.0, logprob=-0.2, compression=compression_ratio(loop)
    )


# --- stretches, lengths, batches, hotwords ------------------------------------------------------


def test_a_stretch_is_encoded_as_its_length_plus_a_tail_at_least_ten_seconds() -> None:
    assert encoder_frames(seconds(1.0)) == MIN_FRAMES
    assert encoder_frames(seconds(12.0)) == 1600  # 1201 frames + 300, in whole seconds
    assert encoder_frames(seconds(12.0)) >= seconds(12.0) // 160 + TAIL_FRAMES
    assert encoder_frames(seconds(MAX_STRETCH)) <= MAX_FRAMES
    assert encoder_frames(seconds(60.0)) == MAX_FRAMES


def test_spans_of_one_speaker_join_only_where_merge_segments_would_join_their_turns() -> None:
    rep = [(0, seconds(2)), (seconds(2.5), seconds(4)), (seconds(10), seconds(12))]
    buyer = [(seconds(5), seconds(9)), (seconds(12.2), seconds(13))]
    stretches = group_spans([rep, buyer])
    assert stretches == [
        (0, 0, seconds(4)),  # a 0.5 s pause: one turn
        (1, seconds(5), seconds(9)),
        (0, seconds(10), seconds(12)),
        (1, seconds(12.2), seconds(13)),
    ]


def test_a_reply_between_two_spans_keeps_them_apart() -> None:
    rep = [(0, seconds(2)), (seconds(2.8), seconds(4))]
    buyer = [(seconds(2.1), seconds(2.6))]  # "mm-hm" in the rep's pause
    assert [s[0] for s in group_spans([rep, buyer])] == [0, 1, 0]


def test_joined_spans_never_exceed_the_longest_stretch() -> None:
    spans = [(seconds(i * 5.0), seconds(i * 5.0 + 4.5)) for i in range(12)]
    stretches = group_spans([spans])
    assert len(stretches) > 1
    assert all(end - start <= seconds(MAX_STRETCH) for _, start, end in stretches)
    assert stretches[0][1] == 0 and stretches[-1][2] == spans[-1][1]


def test_without_vad_audio_is_cut_into_pieces_that_fit_the_window() -> None:
    pieces = fixed_spans(seconds(60))
    assert pieces[0][0] == 0 and pieces[-1][1] == seconds(60)
    assert all(b - a <= seconds(MAX_STRETCH) for a, b in pieces)
    assert all(x[1] == y[0] for x, y in itertools.pairwise(pieces))


def test_vad_skips_long_digital_silence_but_keeps_the_sound_and_its_edges() -> None:
    audio = np.concatenate(
        [tone(2, 200), np.zeros(seconds(10), np.float32), tone(3, 200), np.zeros(seconds(1))]
    ).astype(np.float32)
    regions = sounding_regions(audio)
    assert len(regions) == 2
    (a0, a1), (b0, b1) = regions
    assert a0 == 0 and seconds(2.9) <= a1 <= seconds(3.1)  # the sound, then 1 s of its silence
    assert seconds(10.9) <= b0 <= seconds(11.1) and b1 == len(audio)
    assert sounding_regions(np.zeros(seconds(5), np.float32)) == []
    noisy = np.random.default_rng(1).normal(0, 0.01, seconds(5)).astype(np.float32)
    assert sounding_regions(noisy) == [(0, len(noisy))]


def test_batches_hold_one_encoded_length_and_similar_durations() -> None:
    lengths = [1000, 1600, 1000, 1000, 1600] + [1000] * 10
    durations = [3.0, 12.0, 1.0, 2.0, 13.0] + [float(i) for i in range(10)]
    batches = decode_batches(lengths, durations)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len({lengths[i] for i in batch}) == 1 and len(batch) <= BATCH
        assert [durations[i] for i in batch] == sorted(durations[i] for i in batch)


def test_hotwords_are_the_terms_whisper_cannot_spell_alone() -> None:
    known = {"invoice", "audit", "sandbox", "month", "end", "three", "way", "match", "SOC", "2"}

    def encode(text: str) -> list[int]:  # one token for a known word, three for others
        return [0] if text.strip() in known else [0, 1, 2]

    vocabulary = ["Ledgerline", "invoice", "month end", "SOC 2", "NetSuite", "three way match"]
    assert spelling_hotwords(vocabulary, encode) == ["Ledgerline", "SOC 2", "NetSuite"]


def test_the_id_names_the_decoding_so_stored_transcripts_are_not_reused_across_schemes() -> None:
    base = WhisperTranscriber(TranscribeConfig(), ["NetSuite"])
    assert base.id == WhisperTranscriber(TranscribeConfig(), ["NetSuite"]).id
    assert ":stream2:" in base.id
    assert base.id != WhisperTranscriber(TranscribeConfig(beam_size=1), ["NetSuite"]).id
    assert base.id != WhisperTranscriber(TranscribeConfig(), ["NetSuite", "Coupa"]).id
    assert base.id != WhisperTranscriber(TranscribeConfig(vad=False), ["NetSuite"]).id
    # How mono calls are split into speakers changes their transcripts too.
    assert base.id != WhisperTranscriber(TranscribeConfig(diarize=False), ["NetSuite"]).id
    assert base.id != WhisperTranscriber(TranscribeConfig(speakers=2), ["NetSuite"]).id


# --- streaming: windows, speech across window edges, decoding as the file goes by -------------


def loud_runs(audio: np.ndarray) -> list[tuple[int, int]]:
    """A stand-in for VAD: runs of samples above 0.05, joined across gaps under 0.3 s."""
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    spans: list[list[int]] = []
    for sample in loud:
        if spans and sample - spans[-1][1] < seconds(0.3):
            spans[-1][1] = int(sample) + 1
        else:
            spans.append([int(sample), int(sample) + 1])
    return [(a, b) for a, b in spans]


def test_windows_cover_the_file_in_order_and_load_channels_joins_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    left, right = (rng.normal(0, 0.1, seconds(7.3)).astype(np.float32) for _ in range(2))
    path = write_wav(tmp_path / "call.wav", [left, right])
    windows = list(decode_windows(path, seconds=2.0))
    assert [len(w) for w in windows] == [2] * 4
    assert [len(w[0]) for w in windows[:-1]] == [seconds(2.0)] * 3
    whole = load_channels(path)
    for channel in (0, 1):
        assert np.array_equal(np.concatenate([w[channel] for w in windows]), whole[channel])
        assert np.abs(whole[channel] - (left, right)[channel]).max() < 1e-3


def test_identical_channels_are_found_mono_even_when_streamed_in_small_windows(
    tmp_path: Path,
) -> None:
    voice = np.random.default_rng(4).normal(0, 0.1, seconds(30)).astype(np.float32)
    path = write_wav(tmp_path / "dup.wav", [voice, voice])
    windows = list(decode_windows(path, seconds=1.0))
    assert all(len(w) == 1 for w in windows)
    assert abs(sum(len(w[0]) for w in windows) - seconds(30)) <= 1


def test_channels_identical_only_while_both_are_silent_stay_stereo(tmp_path: Path) -> None:
    """A dialer recording starts with silence on both sides; it is still two channels, and the
    silent start is kept on both so that times line up."""
    quiet = np.zeros(seconds(5), np.float32)
    left = np.concatenate([quiet, tone(3, 220), np.zeros(seconds(3), np.float32)])
    right = np.concatenate([quiet, np.zeros(seconds(3), np.float32), tone(3, 330)])
    windows = list(decode_windows(write_wav(tmp_path / "call.wav", [left, right]), seconds=1.0))
    assert all(len(w) == 2 for w in windows)
    joined = [np.concatenate([w[c] for w in windows]) for c in (0, 1)]
    assert len(joined[0]) == len(joined[1]) == len(left)
    assert np.abs(joined[0][seconds(5.5) : seconds(7.5)]).max() > 0.2
    assert np.abs(joined[1][seconds(5.5) : seconds(7.5)]).max() < 0.01


def test_a_minute_of_the_same_sound_on_both_sides_does_not_make_a_stereo_call_mono(
    tmp_path: Path,
) -> None:
    """Hold music or a recorder's announcement mixed to both channels, then the call: still two
    channels all through, so the buyer's channel is never dropped."""
    music = np.random.default_rng(5).normal(0, 0.1, seconds(70)).astype(np.float32)
    left = np.concatenate([music, tone(5, 220), np.zeros(seconds(5), np.float32)])
    right = np.concatenate([music, np.zeros(seconds(5), np.float32), tone(5, 330)])
    windows = list(decode_windows(write_wav(tmp_path / "held.wav", [left, right])))
    assert len(windows) >= 2 and all(len(w) == 2 for w in windows)
    assert np.abs(np.concatenate([w[1] for w in windows])[seconds(76) : seconds(79)]).max() > 0.2


def test_speech_crossing_window_edges_is_found_whole() -> None:
    """A 5 s burst over the edge between two 2-second windows (and one over three windows)
    comes out as one span, the same spans as searching the whole signal at once."""
    audio = np.zeros(seconds(20), np.float32)
    for start, end in [(1.0, 1.5), (3.2, 8.2), (9.9, 10.4), (13.0, 17.5)]:
        burst = tone(end - start, 300)
        audio[seconds(start) : seconds(start) + len(burst)] = burst
    windows = [[audio[i : i + seconds(2)]] for i in range(0, len(audio), seconds(2))]
    pieces = [
        (start, piece)
        for complete in stream_speech(windows, lambda buffers: [loud_runs(b) for b in buffers])
        for start, piece in complete[0]
    ]
    assert [(start, start + len(piece)) for start, piece in pieces] == loud_runs(audio)
    assert len(pieces) == 4
    assert all(np.array_equal(piece, audio[start : start + len(piece)]) for start, piece in pieces)


def test_stretches_are_decoded_in_chunks_as_the_file_streams_by(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without VAD a 3-minute stereo call is cut into pieces; decoding sees each stretch's own
    audio, a few stretches at a time (never the whole call), and the turns keep call time."""
    rng = np.random.default_rng(5)
    left, right = (rng.normal(0, 0.1, seconds(180)).astype(np.float32) for _ in range(2))
    path = write_wav(tmp_path / "call.wav", [left, right])
    monkeypatch.setattr(audio_module, "WINDOW", 7.0)
    monkeypatch.setattr(transcribe_module, "DECODE_CHUNK", 3)
    chunks: list[list[np.ndarray]] = []

    def fake_decode(self: object, model: object, stretches: list[np.ndarray]) -> list:
        chunks.append(stretches)
        return [(f"words {len(chunks)}", -0.2) for _ in stretches]

    monkeypatch.setattr(WhisperTranscriber, "_decode", fake_decode)
    transcriber = WhisperTranscriber(TranscribeConfig(vad=False))
    transcriber._model = object()  # no Whisper needed: decoding is faked
    turns = transcriber.transcribe(path)
    whole = load_channels(path)
    spans, diarizer = transcriber.find_speech(path)
    assert diarizer is None  # stereo
    expected = group_spans(spans)
    assert max(len(chunk) for chunk in chunks) <= 3 + 1 and len(chunks) > 2
    decoded = [audio for chunk in chunks for audio in chunk]
    assert len(decoded) == len(expected)
    for (channel, start, end), audio in zip(expected, decoded, strict=True):
        assert np.array_equal(audio, whole[channel][start:end])
    assert {t.channel for t in turns} == {0, 1}
    assert turns[-1].end == pytest.approx(180.0, abs=0.01)
    assert [len(d) for d in [transcriber.decoded]] == [len(expected)]


def test_a_mono_call_is_split_into_speakers_and_a_stereo_call_never_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two synthetic voices on one channel become "speaker 1" and "speaker 2" (no channel);
    the same voices on two channels stay channels, whatever `diarize` says."""
    from test_diarize import TURNS, TWO_VOICES, conversation

    audio, truth = conversation(TURNS, TWO_VOICES)
    monkeypatch.setattr(
        transcribe_module, "speech_spans", lambda buffer: loud_runs(buffer)
    )  # the synthetic voices are not speech to Silero
    monkeypatch.setattr(
        WhisperTranscriber,
        "_decode",
        lambda self, model, stretches: [("words", -0.2)] * len(stretches),
    )
    transcriber = WhisperTranscriber(TranscribeConfig())
    transcriber._model = object()
    mono = transcriber.transcribe(write_wav(tmp_path / "mono.wav", [audio]))
    assert {t.speaker for t in mono} == {"speaker 1", "speaker 2"}
    assert all(t.channel is None for t in mono)
    # Each turn's speaker is the voice that spoke most of it.
    for turn in mono:
        voices = [v for s, e, v in truth if s / RATE < turn.end and e / RATE > turn.start]
        assert voices and len(set(voices)) == 1
    assert len(mono) == len(TURNS)
    left = np.concatenate([a if v == 0 else np.zeros_like(a) for a, v in _by_voice(audio, truth)])
    right = audio[: len(left)] - left
    stereo = transcriber.transcribe(write_wav(tmp_path / "stereo.wav", [left, right]))
    assert {t.speaker for t in stereo} == {"channel 0", "channel 1"}


def _by_voice(audio: np.ndarray, truth: list[tuple[int, int, int]]) -> list[tuple[np.ndarray, int]]:
    """The audio cut at the truth's boundaries, each part with the voice speaking in it (-1
    for the pauses)."""
    parts, at = [], 0
    for start, end, voice in truth:
        parts += [(audio[at:start], -1), (audio[start:end], voice)]
        at = end
    return [*parts, (audio[at:], -1)]


RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


class _LoopingFirst:
    """Whisper's CTranslate2 model, except that its first batch of answers is a repetition loop
    (as tiny.en sometimes gives on a stretch): what the retry must recover from."""

    def __init__(self, model: object, tokenizer: object) -> None:
        self.model, self.tokenizer, self.calls = model, tokenizer, []

    def generate(self, memory: object, prompts: list, **options: object) -> list:
        self.calls.append(options)
        results = self.model.generate(memory, prompts, **options)  # type: ignore[attr-defined]
        if len(self.calls) > 1:
            return results
        loop = self.tokenizer.encode(" ah," * 40)  # type: ignore[attr-defined]
        return [SimpleNamespace(sequences_ids=[loop], scores=[-0.2], no_speech_prob=0.1)
                for _ in results]  # fmt: skip

    def __getattr__(self, name: str) -> object:
        return getattr(self.model, name)


@pytest.mark.real
def test_a_stretch_whisper_loops_on_is_decoded_again_without_repeats() -> None:
    from faster_whisper.tokenizer import Tokenizer

    transcriber = WhisperTranscriber(TranscribeConfig(), ["Ledgerline"])
    whisper = transcriber.model
    tokenizer = Tokenizer(whisper.hf_tokenizer, False, task="transcribe", language="en")
    looping = _LoopingFirst(whisper.model, tokenizer)
    whisper.model = looping
    audio = load_channels(RECORDINGS / "L-005.ogg")[1][: seconds(20)]  # the buyer's channel
    try:
        results = transcriber._decode(whisper, [audio])
    finally:
        whisper.model = looping.model
    ((text, logprob),) = results
    assert len(looping.calls) == 2 and looping.calls[1]["no_repeat_ngram_size"] == LOOP_NGRAM
    assert len(text.split()) >= 10 and "ah, ah" not in text, text
    assert logprob is not None and logprob > -1.0


def test_on_a_gpu_the_larger_model_runs_when_it_is_on_this_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcribe_module, "_cuda_available", lambda: True)
    monkeypatch.setattr(transcribe_module, "gpu_problem", lambda model: None)
    local = tmp_path / "whisper-small-ct2"
    local.mkdir()
    assert choose_model(TranscribeConfig(cuda_model=str(local))) == (str(local), "cuda")
    assert choose_model(TranscribeConfig(cuda_model="no-such-model-here")) == ("tiny.en", "cuda")
    assert choose_model(TranscribeConfig(cuda_model="")) == ("tiny.en", "cuda")
    assert choose_model(TranscribeConfig(device="cpu", cuda_model=str(local))) == (
        "tiny.en",
        "cpu",
    )
    gpu = WhisperTranscriber(TranscribeConfig(cuda_model=str(local)))
    assert gpu.id.startswith(f"faster-whisper:{local}:")  # stored transcripts name the model
    monkeypatch.setattr(transcribe_module, "_cuda_available", lambda: False)
    assert choose_model(TranscribeConfig(cuda_model=str(local))) == ("tiny.en", "cpu")


def test_auto_stays_on_the_cpu_where_whisper_cannot_use_the_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CTranslate2 4.x counts a GPU beside CUDA 13 and fails at the first decode (it loads
    cuBLAS 12): "auto" must not send every call there to fail."""
    missing = "Library libcublas.so.12 is not found or cannot be loaded"
    monkeypatch.setattr(transcribe_module, "_cuda_available", lambda: True)
    monkeypatch.setattr(transcribe_module, "gpu_problem", lambda model: missing)
    local = tmp_path / "whisper-small-ct2"
    local.mkdir()
    assert choose_model(TranscribeConfig(cuda_model=str(local))) == ("tiny.en", "cpu")
    larger = WhisperTranscriber(TranscribeConfig(cuda_model=str(local)))
    assert larger.id.startswith("faster-whisper:tiny.en:")
    larger.settle_device()  # chosen early for the id, and said all the same
    assert larger.device == "cpu" and missing in larger.notice
    # No larger model to choose: the GPU is checked when calls are about to be transcribed.
    transcriber = WhisperTranscriber(TranscribeConfig(cuda_model=""))
    assert transcriber.device == "cuda" and transcriber.notice == ""
    transcriber.settle_device()
    assert transcriber.device == "cpu" and missing in transcriber.notice
    # Asked for by name, the GPU is tried (and its error is the user's to see).
    assert choose_model(TranscribeConfig(device="cuda", cuda_model="")) == ("tiny.en", "cuda")
    assert WhisperTranscriber(TranscribeConfig(device="cpu")).notice == ""


def test_whisper_loads_on_the_cpu_where_auto_finds_the_gpu_unusable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker process builds its transcriber with "auto" and settles its device when the model
    loads: it must not load Whisper onto a GPU it cannot decode on."""
    loaded: list[str] = []

    class WhisperModel:
        def __init__(self, path: str, device: str, **options: object) -> None:
            loaded.append(device)

    monkeypatch.setitem(sys.modules, "faster_whisper", SimpleNamespace(WhisperModel=WhisperModel))
    monkeypatch.setattr(transcribe_module, "_cuda_available", lambda: True)
    monkeypatch.setattr(transcribe_module, "gpu_problem", lambda model: "no cuBLAS 12")
    transcriber = WhisperTranscriber(TranscribeConfig(cuda_model=""))
    assert transcriber.device == "cuda"
    transcriber.model  # noqa: B018 - loads
    assert loaded == ["cpu"] and "no cuBLAS 12" in transcriber.notice
    monkeypatch.setattr(transcribe_module, "gpu_problem", lambda model: None)
    working = WhisperTranscriber(TranscribeConfig(cuda_model=""))
    working.model  # noqa: B018 - loads
    assert loaded == ["cpu", "cuda"] and working.notice == ""


def test_the_gpu_check_encodes_on_the_gpu_and_reports_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoded: list[tuple[int, ...]] = []
    libraries = {"cublas": False}

    class Whisper:
        n_mels = 80

        def __init__(self, path: str, device: str) -> None:
            assert device == "cuda" and Path(path).is_dir()  # the bundled model, resolved

        def encode(self, features: np.ndarray) -> None:
            encoded.append(features.shape)
            if not libraries["cublas"]:
                raise RuntimeError("Library libcublas.so.12 is not found or cannot be loaded\nat")

    fake = SimpleNamespace(
        models=SimpleNamespace(Whisper=Whisper), StorageView=SimpleNamespace(from_array=np.asarray)
    )
    monkeypatch.setitem(sys.modules, "ctranslate2", fake)
    for found, expected in [
        (False, "Library libcublas.so.12 is not found or cannot be loaded"),
        (True, None),
    ]:
        libraries["cublas"] = found
        transcribe_module.gpu_problem.cache_clear()
        assert transcribe_module.gpu_problem("tiny.en") == expected
    transcribe_module.gpu_problem.cache_clear()
    assert encoded == [(1, 80, 3000)] * 2
    # A model that is not on this machine is no GPU problem (its own load says what is wrong).
    assert transcribe_module.gpu_problem("no-such-model-here") is None
    transcribe_module.gpu_problem.cache_clear()
    assert len(encoded) == 2


def test_batches_are_wider_on_a_gpu() -> None:
    frames, seconds_ = [1000] * 40, [5.0] * 40
    assert max(map(len, decode_batches(frames, seconds_))) == BATCH
    assert max(map(len, decode_batches(frames, seconds_, CUDA_BATCH))) == CUDA_BATCH
