"""The real layer: the bundled Whisper tiny.en and MiniLM models on real (synthesized) audio.

Slower (a few minutes on 2 cores); run alone with `pytest -m real`.
"""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from objections.config import Config, EmbedConfig, TranscribeConfig, load_config
from objections.detect import ClassifierDetector
from objections.embed import SentenceTransformerEmbedder, mask_specifics
from objections.errors import InputError
from objections.models import Sentence
from objections.pipeline import Components, Pipeline, RunOptions
from objections.store import Store
from objections.transcribe import WhisperTranscriber

pytestmark = pytest.mark.real
ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "recordings"
SOURCE = ROOT / "scripts" / "recordings_source"


@pytest.fixture(scope="session")
def transcriber() -> WhisperTranscriber:
    config = load_config(RECORDINGS / "objections.toml")
    return WhisperTranscriber(TranscribeConfig(), config.company.vocabulary)


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(EmbedConfig())


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def scripted_calls() -> list[dict]:
    return json.loads((SOURCE / "calls.json").read_text())


def test_stereo_call_is_transcribed_per_channel(transcriber: WhisperTranscriber) -> None:
    script = scripted_calls()[1]
    turns = transcriber.transcribe(RECORDINGS / script["file"])
    assert {t.channel for t in turns} == {0, 1}, "rep and buyer come from separate channels"
    spoken = [w for t in script["turns"] if t["speaker"] == "buyer" for w in words(t["text"])]
    heard = set(w for t in turns if t.channel == 1 for w in words(t.text))
    recall = sum(w in heard for w in spoken) / len(spoken)
    assert recall >= 0.7, f"only {recall:.0%} of the buyer's words were transcribed"
    rep_words = set(w for t in turns if t.channel == 0 for w in words(t.text))
    buyer_only = set(spoken) - {w for t in script["turns"] if t["speaker"] == "rep"
                                for w in words(t["text"])}  # fmt: skip
    assert len(buyer_only & rep_words) <= 0.2 * len(buyer_only), "channels bleed into each other"


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_silence_and_noise_invent_nothing(
    kind: str, transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    rng = np.random.default_rng(7)
    samples = np.zeros(16000 * 20) if kind == "silence" else rng.normal(0, 0.1, 16000 * 20)
    path = tmp_path / f"{kind}.wav"
    write_wav(path, samples)
    turns = transcriber.transcribe(path)
    assert [t.text for t in turns] == []


def test_a_file_that_is_not_audio_is_one_clear_error(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    fake = tmp_path / "notes.mp3"
    fake.write_text("this is a text file with an mp3 name\n" * 20)
    with pytest.raises(InputError, match=r"notes\.mp3"):
        transcriber.transcribe(fake)


# (the rep's turn before, the buyer's sentence): detection reads a sentence with what it answers.
HARD_NEGATIVES = [
    ("It's priced per invoice processed.", "What does that run per invoice, roughly?"),
    (
        "Here's the proposal we talked about.",
        "The pricing you sent over is well within what we budgeted, so no issues there.",
    ),
    (
        "Have you looked at other tools?",
        "We used Tipalti at my last company, it was fine for what it was.",
    ),
    ("I'll set up the next session.", "Can we do the follow up on Thursday afternoon instead?"),
    ("Any questions so far?", "How long does a typical rollout take for a team our size?"),
    (
        "This is the approval screen.",
        "That's really helpful, I like how the approvals show up on the phone.",
    ),
]
OBJECTIONS = [
    (
        "For your volume that comes to about two dollars per invoice.",
        "Honestly at that per invoice fee it's just way more than we can justify for our volume.",
        "price",
    ),
    (
        "Could we get the order form signed this week?",
        "I can't sign anything like this without our CFO and the board approving it first.",
        "authority",
    ),
    (
        "We'd love to get your team into a sandbox next week.",
        "Our IT security team won't even look at a vendor that doesn't have a SOC 2 report, so "
        "that's a real blocker for us.",
        "security",
    ),
    (
        "Could we target a kickoff early next month?",
        "We're right in the middle of year end close, there's no way we take this on before "
        "February.",
        "timing",
    ),
    (
        "We connect to NetSuite out of the box.",
        "I'm worried it won't sync cleanly with NetSuite, our last tool broke the vendor records "
        "every month.",
        "integration",
    ),
]


def test_classifier_separates_objections_from_hard_negatives(
    embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s.db")
    pipeline = Pipeline(Config(), store, Components(embedder=embedder))
    detector = pipeline.detector
    assert isinstance(detector, ClassifierDetector)
    pairs = HARD_NEGATIVES + [(context, text) for context, text, _ in OBJECTIONS]
    sentences = [
        Sentence("c", i, "Buyer", "buyer", 0, 1, text, context=context)
        for i, (context, text) in enumerate(pairs)
    ]
    probs, categories = detector.probabilities(sentences, pipeline.embed([t for _, t in pairs]))
    negatives, positives = probs[: len(HARD_NEGATIVES)], probs[len(HARD_NEGATIVES) :]
    assert (negatives < detector.threshold).sum() >= len(HARD_NEGATIVES) - 1, list(negatives)
    assert (positives >= detector.threshold).sum() >= len(OBJECTIONS) - 1, list(positives)
    expected = [c for _, _, c in OBJECTIONS]
    right = sum(a == b for a, b in zip(categories[len(HARD_NEGATIVES) :], expected, strict=True))
    assert right >= len(OBJECTIONS) - 1, categories[len(HARD_NEGATIVES) :]


def test_dates_masked_bring_one_busy_season_objection_together(
    embedder: SentenceTransformerEmbedder,
) -> None:
    # The same concern, each buyer with their own busy season: the dates pull the wording apart
    # (and towards the other buyers' other concerns), the masked texts come closer.
    texts = [
        "Not before January, we're slammed through Christmas.",
        "Nothing changes until after Thanksgiving, that's our busiest stretch.",
        "The right window is May, once the season winds down.",
    ]
    raw = embedder.embed(texts)
    masked = embedder.embed([mask_specifics(t, []) for t in texts])
    pairs = [(0, 1), (0, 2), (1, 2)]
    before = np.mean([raw[a] @ raw[b] for a, b in pairs])
    after = np.mean([masked[a] @ masked[b] for a, b in pairs])
    assert after > before


def test_run_on_the_bundled_recordings(tmp_path: Path) -> None:
    """The README's main job, with the real default models end to end."""
    config = load_config(RECORDINGS / "objections.toml")
    store = Store(tmp_path / "s.db")
    options = RunOptions(
        inputs=[RECORDINGS],
        out=tmp_path / "out",
        config=config,
        manifest=RECORDINGS / "manifest.csv",
        assets=RECORDINGS / "assets",
    )
    result = Pipeline(config, store).run(options)
    assert result.failed == [] and result.calls == len(scripted_calls())
    doc = json.loads((tmp_path / "out" / "themes.json").read_text())
    gold = json.loads((SOURCE / "themes.json").read_text())
    recurring = {meta["category"] for meta in gold.values()}
    found = {t["category"] for t in doc["themes"] if t["calls"] >= 2}
    assert len(recurring & found) >= len(recurring) - 1, (recurring, found)
    covered = [t for t in doc["themes"] if t["coverage"] != "gap"]
    gold_assets = {m["asset"] for m in gold.values() if m["asset"]}
    assert any(t["assets"][0]["id"] in gold_assets for t in covered)
    assert any(t["brief"] for t in doc["themes"])
    rows = [json.loads(line) for line in (tmp_path / "out" / "objections.jsonl").open()]
    assert all(r["role"] == "buyer" for r in rows)
