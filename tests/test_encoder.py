"""The category encoder: batches, loss, its place in the detector, and (real layer) tuning
the bundled MiniLM on a few sentences, cached."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fakes import CountingEmbedder

from objections.competitors import mask_competitors
from objections.config import EmbedConfig
from objections.detect import ClassifierDetector, Example, category_training
from objections.embed import SentenceTransformerEmbedder
from objections.encoder import TunedEncoder, balanced_batches, epochs_of_batches, supcon_loss
from objections.models import CATEGORIES, Sentence


def test_balanced_batches_take_each_sentence_once_with_every_category() -> None:
    labels = ["price"] * 7 + ["timing"] * 5 + ["proof"] * 2
    batches = balanced_batches(labels, 2, random.Random(0))
    seen = [i for batch in batches for i in batch]
    assert len(seen) == len(set(seen))
    # The last price sentence would make a batch of one category: dropped, not trained on.
    assert len(seen) == len(labels) - 1
    first_batches = [b for b in batches if len(b) == 6]
    assert first_batches, "while every category has sentences left a batch holds two of each"
    for batch in first_batches:
        assert sorted(labels[i] for i in batch) == ["price"] * 2 + ["proof"] * 2 + ["timing"] * 2
    assert all(len({labels[i] for i in batch}) >= 2 for batch in batches)


def test_each_epoch_passes_over_every_sentence_in_a_new_order() -> None:
    labels = [c for c in ("price", "need", "contract") for _ in range(9)]
    one = balanced_batches(labels, 3, random.Random(3))
    two = epochs_of_batches(labels, 3, 2, random.Random(3))
    assert len(two) == 2 * len(one)
    assert sorted(i for b in two for i in b) == sorted(2 * [i for b in one for i in b])
    assert two[: len(one)] != two[len(one) :], "the second pass is shuffled anew"


def test_batches_depend_only_on_the_seed() -> None:
    labels = [c for c in ("price", "need", "contract") for _ in range(9)]
    assert balanced_batches(labels, 3, random.Random(5)) == balanced_batches(
        labels, 3, random.Random(5)
    )


def test_contrastive_loss_is_lower_when_categories_sit_together() -> None:
    torch = pytest.importorskip("torch")
    y = torch.tensor([0, 0, 1, 1])
    apart = torch.nn.functional.normalize(torch.tensor([[1.0, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]))
    mixed = torch.nn.functional.normalize(torch.tensor([[1.0, 0], [0, 1], [0.9, 0.1], [0.1, 0.9]]))
    assert float(supcon_loss(apart, y, 0.05)) < float(supcon_loss(mixed, y, 0.05))


def small_corpus() -> list[Example]:
    said = {
        "price": [
            "That's way too expensive for us.",
            "The per-seat price is more than we pay now.",
        ],
        "timing": ["Maybe after the holidays.", "Not this quarter, we're slammed."],
        "competitor": ["We already use Rivalsoft for that.", "Rivalsoft offered us a discount."],
    }
    corpus = [
        Example(text, "", "buyer", category, competitors=("Rivalsoft",))
        for category, texts in said.items()
        for text in texts
    ]
    neutral = ["Thanks for having us.", "Sounds good.", "Who else is joining?", "Okay, go on."]
    return corpus + [Example(t, "", "buyer", None) for t in neutral]


def test_category_training_masks_competitors_and_keeps_only_objections() -> None:
    pairs = category_training(small_corpus())
    assert len(pairs) == 6
    assert ("We already use a competitor for that.", "competitor") in pairs
    assert all(category for _, category in pairs)


def test_the_category_model_embeds_only_detected_objections_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBJECTIONS_CACHE", str(tmp_path))
    seen: list[str] = []
    fake = CountingEmbedder()

    def category_vectors(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return fake.embed(texts)

    detector = ClassifierDetector(
        fake.embed, fake.id, 0.5, ["Rivalsoft"], small_corpus(), (category_vectors, "fake-cat")
    )
    detector.fit()
    assert len(seen) == 2 * 6, "training embeds the corpus's objections (with and without context)"
    seen.clear()
    sentences = [
        Sentence("c", i, "b", "buyer", 0.0, 1.0, text)
        for i, text in enumerate(["Rivalsoft is cheaper, honestly.", "Sounds good."])
    ]
    probs = detector.objection_probabilities(sentences, fake.embed([s.text for s in sentences]))
    detector.threshold = float(probs.max())  # one sentence is an objection, one is not
    found = detector.detect(sentences, fake.embed([s.text for s in sentences]))
    kept = [s.text for s, p in zip(sentences, probs, strict=True) if p >= detector.threshold]
    assert len(kept) == 1
    assert [o.sentence.text for o in found] == kept
    assert seen == [mask_competitors(t, ["Rivalsoft"]) for t in kept]
    other = ClassifierDetector(fake.embed, fake.id, 0.5, [], small_corpus(), None)
    assert other.key != detector.key, "a different category model trains different models"


def test_category_only_examples_train_the_category_model_not_the_detector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBJECTIONS_CACHE", str(tmp_path))
    fake = CountingEmbedder()
    extra = [
        Example("We can't justify the seat fee.", "", "buyer", "price", category_only=True),
        Example("Legal has to read every contract.", "", "buyer", "authority", category_only=True),
    ]
    plain = ClassifierDetector(fake.embed, fake.id, 0.5, [], small_corpus(), None)
    more = ClassifierDetector(fake.embed, fake.id, 0.5, [], small_corpus() + extra, None)
    detector, classifier = plain.fit()
    detector_more, classifier_more = more.fit()
    np.testing.assert_array_equal(detector.coef, detector_more.coef)
    assert "authority" in classifier_more.classes and "authority" not in classifier.classes
    # The same examples training the detector too make a different model, with its own key.
    both = [replace(e, category_only=False) for e in extra]
    everything = ClassifierDetector(fake.embed, fake.id, 0.5, [], small_corpus() + both, None)
    assert everything.key != more.key


def test_the_shipped_category_calls_are_labelled_objections_only() -> None:
    from objections.detect import load_corpus

    extra = [e for e in load_corpus() if e.category_only]
    assert len(extra) > 300
    assert all(e.category in CATEGORIES and e.role != "rep" for e in extra)
    assert {e.weight for e in extra} == {1.0}


@pytest.mark.real
def test_tuning_pulls_categories_apart_and_is_cached(tmp_path: Path) -> None:
    pairs = [
        (text, category)
        for category, texts in {
            "price": ["It costs too much.", "Your quote is way over budget.",
                      "We can't afford the per-user fee.", "That's pricey for a shop our size."],
            "authority": ["The board has to sign off.", "I need my boss to approve it.",
                          "Corporate decides on software.", "Legal has to review anything."],
            "timing": ["Call me after the holidays.", "Not this quarter.",
                       "We're slammed until spring.", "Let's revisit next year."],
        }.items()
        for text in texts
    ]  # fmt: skip
    base = SentenceTransformerEmbedder(EmbedConfig())
    steps: list[int] = []
    encoder = TunedEncoder(base, pairs * 4, tmp_path, lambda done, total: steps.append(done))
    texts = [t for t, _ in pairs]
    labels = np.array([c for _, c in pairs])
    same = labels[:, None] == labels[None, :]

    def separation(vectors: np.ndarray) -> float:
        sims = vectors @ vectors.T
        return float(sims[same & ~np.eye(len(texts), dtype=bool)].mean() - sims[~same].mean())

    tuned = encoder.embed(texts)
    assert steps and steps[-1] == len(steps)
    assert separation(tuned) > separation(base.embed(texts)) + 0.05
    again = TunedEncoder(base, pairs * 4, tmp_path, lambda done, total: steps.append(-1))
    assert np.allclose(again.embed(texts), tuned, atol=1e-5)
    assert -1 not in steps, "the second encoder loaded the cached model instead of training"
    for weights in again.path.glob("*.safetensors"):
        weights.write_bytes(b"damaged")
    mended = TunedEncoder(base, pairs * 4, tmp_path, lambda done, total: steps.append(-2))
    assert np.allclose(mended.embed(texts), tuned, atol=1e-5)
    assert -2 in steps, "a damaged cached model is trained again"
    assert TunedEncoder(base, pairs * 4, tmp_path)._cached() is not None, "and saved again"
    assert TunedEncoder(base, pairs, tmp_path).key != encoder.key


@pytest.mark.parametrize(
    ("choice", "kind"),
    [("tuned", TunedEncoder), ("stock", type(None)), ("my/own-model", SentenceTransformerEmbedder)],
)
def test_category_model_setting_chooses_the_category_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, choice: str, kind: type
) -> None:
    from objections.config import Config
    from objections.pipeline import Components, Pipeline
    from objections.store import Store

    monkeypatch.setenv("OBJECTIONS_CACHE", str(tmp_path))
    config = Config()
    config.detect.category_model = choice
    embedder = SentenceTransformerEmbedder(EmbedConfig())  # nothing loads until it embeds
    pipeline = Pipeline(config, Store(tmp_path / "s.db"), Components(embedder=embedder))
    assert isinstance(pipeline.category_embedder, kind)
    if isinstance(pipeline.category_embedder, SentenceTransformerEmbedder):
        assert pipeline.category_embedder.config.model == choice
    counting = Pipeline(config, Store(tmp_path / "t.db"), Components(embedder=CountingEmbedder()))
    if choice == "tuned":
        assert counting.category_embedder is None, "only a sentence-transformers model is tuned"
