"""objections.transcribe without the model: channel handling, turn merging, the hallucination
filter, and how speech is cut into stretches and batches. Audio is synthesized here (numpy and
the stdlib `wave` module); nothing here loads Whisper."""

from __future__ import annotations

import itertools
import wave
from pathlib import Path

import numpy as np
import pytest

from objections.config import TranscribeConfig
from objections.errors import InputError
from objections.models import Turn
from objections.transcribe import (
    BATCH,
    MAX_FRAMES,
    MAX_STRETCH,
    MIN_FRAMES,
    SAMPLE_RATE,
    TAIL_FRAMES,
    TURN_GAP,
    WhisperTranscriber,
    compression_ratio,
    decode_batches,
    encoder_frames,
    fixed_spans,
    group_spans,
    is_real_speech,
    load_channels,
    merge_segments,
    sounding_regions,
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
    features = [np.zeros((80, n), np.float32) for n in lengths]
    durations = [3.0, 12.0, 1.0, 2.0, 13.0] + [float(i) for i in range(10)]
    batches = decode_batches(features, durations)
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
    assert base.id.endswith(":spans2")
    assert base.id != WhisperTranscriber(TranscribeConfig(beam_size=1), ["NetSuite"]).id
    assert base.id != WhisperTranscriber(TranscribeConfig(), ["NetSuite", "Coupa"]).id
    assert base.id != WhisperTranscriber(TranscribeConfig(vad=False), ["NetSuite"]).id
