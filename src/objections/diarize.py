"""Diarize: who speaks when in a mono call, from the sound alone (no hub weights, no network).

A mono recording holds both sides of the call on one track, so transcription alone gives one
undivided "speaker". This cuts the call's speech (as voice activity detection found it) into short
pieces, describes each piece by its timbre and pitch, clusters the pieces into speakers and
smooths the labels over time. transcribe.py then decodes each speaker's stretches on their own,
and roles.py tells the rep from the buyer by what each speaker says.

- Pieces: speakers take turns at pauses, so speech is cut at every pause of `PAUSE` seconds or
  more (a dip in loudness, shorter than the pauses VAD ends a span at); a piece longer than
  `LONGEST_PIECE` is cut into equal parts, so that a stretch holding two voices can be divided.
- Description: the mean and spread of 19 mel-cepstral coefficients over the piece's loud frames
  (the shape of the voice), and the median pitch and share of voiced frames (pitch separates
  most pairs of voices on its own). Memory per piece is a few dozen numbers, whatever the call's
  length.
- Speakers: agglomerative clustering (Ward) of the standardized descriptions; with `speakers = 0`
  the count is estimated from 2 to `MOST_SPEAKERS` by the silhouette score, two (a rep and a
  buyer) unless another count separates the voices clearly better. One voice is not told from
  two by this (measured: one espeak-ng voice splits as cleanly as two voices do), so a mono
  recording of one speaker needs `speakers = 1`. Centroids are then taken from the longer pieces
  only, and every piece joins its nearest centroid.
- Smoothing: a short piece cut from inside one span of speech with no pause around it takes the
  label its two neighbours agree on (a voice does not change mid-word).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 16000
FRAME = 400  # 25 ms analysis frames...
HOP = 160  # ...every 10 ms
MELS = 40
CEPSTRA = 19  # c1..c19; c0 (loudness) says more about the microphone than the voice
PAUSE = 0.15  # seconds of quiet that can separate two speakers' pieces
QUIET_DB = 25.0  # a frame this far below the span's loud frames is quiet
LONGEST_PIECE = 2.0  # seconds; longer pieces are cut into equal parts...
PIECE = 1.5  # ...of about this length
SHORTEST_PIECE = 0.1  # seconds; anything shorter is noise between pauses
RELIABLE_PIECE = 1.0  # pieces at least this long define the speakers' centroids
MOST_SPEAKERS = 4
CLEARLY_BETTER = 0.05  # silhouette a count other than two must win by
MOST_CLUSTERED = 2000  # pieces clustered at once (O(n^2) memory); the rest join nearest centroids
PITCH_WEIGHT = 1.0  # pitch counts as one more cepstral dimension
PITCH_RANGE = (60.0, 400.0)  # Hz
VOICED = 0.45  # normalized autocorrelation above which a frame is voiced


@dataclass
class Piece:
    start: int  # samples from the call's start
    end: int
    features: np.ndarray
    after_pause: bool  # a pause (or the end of a span) comes before it


@dataclass
class Diarizer:
    """Collects pieces of speech span by span (`add`), then labels them (`segments`).

    `speakers`: how many voices the call holds; 0 estimates it."""

    speakers: int = 0
    pieces: list[Piece] = field(default_factory=list)

    def add(self, audio: np.ndarray, start: int) -> None:
        """One span of speech, `audio` at 16 kHz beginning `start` samples into the call."""
        frames = frame_energies(audio)
        for low, high, after_pause in split_at_pauses(frames):
            first, last = low * HOP, len(audio) if high >= len(frames) else high * HOP
            if last - first >= SHORTEST_PIECE * SAMPLE_RATE:
                features = describe(audio[first:last])
                self.pieces.append(Piece(start + first, start + last, features, after_pause))

    def segments(self) -> list[tuple[int, int, int]]:
        """(start, end, speaker) for every piece, in time order; speakers numbered from 0 in
        order of first appearance."""
        pieces = sorted(self.pieces, key=lambda p: p.start)
        if not pieces:
            return []
        labels = cluster([p.features for p in pieces],
                         [p.end - p.start for p in pieces], self.speakers)  # fmt: skip
        labels = smooth(labels, [p.after_pause for p in pieces])
        first_seen = {label: n for n, label in enumerate(dict.fromkeys(labels))}
        return [
            (p.start, p.end, first_seen[label]) for p, label in zip(pieces, labels, strict=True)
        ]


def frame_energies(audio: np.ndarray) -> np.ndarray:
    """Loudness (dB) of each 10 ms frame."""
    count = max(1, 1 + (len(audio) - FRAME) // HOP)
    padded = np.zeros((count - 1) * HOP + FRAME, dtype=np.float32)
    padded[: min(len(audio), len(padded))] = audio[: len(padded)]
    frames = np.lib.stride_tricks.sliding_window_view(padded, FRAME)[::HOP]
    return 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-10)


def split_at_pauses(energies: np.ndarray) -> list[tuple[int, int, bool]]:
    """(first frame, frame after the last, follows a pause) of pieces covering the span: cut in
    the middle of every quiet run of PAUSE or more, and into parts of about PIECE seconds
    where longer than LONGEST_PIECE."""
    loud = np.flatnonzero(energies > np.percentile(energies, 95) - QUIET_DB)
    pause = int(PAUSE * SAMPLE_RATE / HOP)
    gaps = np.flatnonzero(np.diff(loud) > pause)
    cuts = [0] + [int(loud[g] + loud[g + 1]) // 2 for g in gaps] + [len(energies)]
    longest, size = int(LONGEST_PIECE * SAMPLE_RATE / HOP), int(PIECE * SAMPLE_RATE / HOP)
    pieces: list[tuple[int, int, bool]] = []
    for low, high in itertools.pairwise(cuts):
        parts = 1 if high - low <= longest else round((high - low) / size)
        bounds = np.linspace(low, high, parts + 1).astype(int)
        pieces.extend((int(bounds[n]), int(bounds[n + 1]), n == 0) for n in range(parts))
    return pieces


def describe(piece: np.ndarray) -> np.ndarray:
    """Cepstral means and spreads over the loud frames, then log pitch and voiced share."""
    window = np.hanning(FRAME).astype(np.float32)
    count = max(1, 1 + (len(piece) - FRAME) // HOP)
    padded = np.zeros((count - 1) * HOP + FRAME, dtype=np.float32)
    padded[: min(len(piece), len(padded))] = piece[: len(padded)]
    frames = np.lib.stride_tricks.sliding_window_view(padded, FRAME)[::HOP] * window
    power = np.abs(np.fft.rfft(frames, n=512)) ** 2
    mel = np.log(power @ _mel_filters().T + 1e-8)
    energy = mel.sum(axis=1)
    loud = energy >= np.percentile(energy, 30)
    cepstra = _dct(mel[loud])[:, 1 : CEPSTRA + 1]
    pitch, voiced = pitch_of(frames)
    return np.concatenate([cepstra.mean(axis=0), cepstra.std(axis=0), [pitch, voiced]])


def pitch_of(frames: np.ndarray) -> tuple[float, float]:
    """Median log pitch (Hz) of the voiced frames, and the share of frames that are voiced."""
    spectrum = np.fft.rfft(frames, n=2 * FRAME)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2)[:, :FRAME]
    low, high = int(SAMPLE_RATE / PITCH_RANGE[1]), int(SAMPLE_RATE / PITCH_RANGE[0])
    high = min(high, FRAME - 1)
    lags = correlation[:, low:high]
    best = lags.argmax(axis=1)
    strength = lags[np.arange(len(lags)), best] / (correlation[:, 0] + 1e-10)
    voiced = strength > VOICED
    if not voiced.any():
        return float(np.log(150.0)), 0.0
    return float(np.median(np.log(SAMPLE_RATE / (best[voiced] + low)))), float(voiced.mean())


def cluster(features: list[np.ndarray], lengths: list[int], speakers: int) -> list[int]:
    """A speaker label per piece (see the module's docstring)."""
    data = _standardized(np.array(features))
    if len(data) < 4 or speakers == 1:
        return [0] * len(data)
    sample = _spread_sample(len(data), MOST_CLUSTERED)
    labels = _best_clustering(data[sample], speakers)
    if len(set(labels)) == 1:
        return [0] * len(data)
    reliable = np.array(lengths)[sample] >= RELIABLE_PIECE * SAMPLE_RATE
    centroids = []
    for label in sorted(set(labels)):
        members = labels == label
        chosen = members & reliable if (members & reliable).any() else members
        centroids.append(data[sample][chosen].mean(axis=0))
    distances = ((data[:, None, :] - np.array(centroids)[None]) ** 2).sum(axis=2)
    return [int(x) for x in distances.argmin(axis=1)]


def _best_clustering(data: np.ndarray, speakers: int) -> np.ndarray:
    """Ward clustering into `speakers` groups, or into the count the silhouette favours."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    def labels_for(k: int) -> np.ndarray:
        return np.asarray(AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(data))

    if speakers >= 2:
        return labels_for(min(speakers, len(data) - 1))
    scores = {}
    options = {}
    for k in range(2, min(MOST_SPEAKERS, len(data) - 1) + 1):
        options[k] = labels_for(k)
        scores[k] = float(silhouette_score(data, options[k]))
    best = max(scores, key=lambda k: scores[k])
    if best != 2 and 2 in scores and scores[best] < scores[2] + CLEARLY_BETTER:
        best = 2
    return options[best]


def smooth(labels: list[int], after_pause: list[bool]) -> list[int]:
    """A piece cut from inside a span of speech (no pause before it or after it) takes the
    label of its neighbours when they agree: a voice does not change mid-word."""
    out = list(labels)
    for i in range(1, len(out) - 1):
        joined = not after_pause[i] and not after_pause[i + 1]
        if joined and out[i - 1] == out[i + 1] != out[i]:
            out[i] = out[i - 1]
    return out


def _standardized(data: np.ndarray) -> np.ndarray:
    spread = data.std(axis=0)
    spread[spread == 0] = 1.0
    scaled = (data - data.mean(axis=0)) / spread
    scaled[:, -2] *= PITCH_WEIGHT  # the log pitch
    return scaled


def _spread_sample(count: int, most: int) -> np.ndarray:
    """Indices of at most `most` items spread evenly over `count`."""
    if count <= most:
        return np.arange(count)
    return np.linspace(0, count - 1, most).astype(int)


_FILTERS: list[np.ndarray] = []


def _mel_filters() -> np.ndarray:
    if not _FILTERS:
        from faster_whisper.feature_extractor import FeatureExtractor

        _FILTERS.append(FeatureExtractor.get_mel_filters(SAMPLE_RATE, 512, MELS).astype(np.float32))
    return _FILTERS[0]


def _dct(mel: np.ndarray) -> np.ndarray:
    """Orthonormal DCT-II along each row (what scipy.fft.dct(norm="ortho") computes)."""
    size = mel.shape[1]
    k, n = np.arange(size)[:, None], np.arange(size)[None, :]
    basis = np.sqrt(2 / size) * np.cos(np.pi * k * (2 * n + 1) / (2 * size))
    basis[0] /= np.sqrt(2)
    return np.asarray(mel @ basis.T)
