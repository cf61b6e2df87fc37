"""Detection pieces that need no model: competitors, cues, the keyword baseline, the model cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from objections.competitors import find_competitors, mask_competitors
from objections.detect import (
    KeywordDetector,
    Linear,
    carry_follow_ups,
    keyword_category,
    load_corpus,
    load_models,
    save_models,
)
from objections.models import CATEGORIES, Objection, Sentence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Honestly HubSpot already does this for us.", ["HubSpot"]),
        ("we looked at hub spot last year and it was cheaper", ["HubSpot"]),
        ("the hubs pot quote came in lower", ["HubSpot"]),
        ("we're on seven shifts and the cooks finally use it", ["7shifts"]),
        ("7shifts's renewal offer was pretty aggressive", ["7shifts"]),
        ("Nobody here has heard of any of these tools.", []),
    ],
)
def test_configured_competitors_however_asr_spells_them(text: str, expected: list[str]) -> None:
    assert find_competitors(text, ["HubSpot", "7shifts", "Deputy"]) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Our history has been in Raiser's Edge since 2009.", ["Raiser's Edge NXT"]),
        ("We priced out Raisers Edge NXT last spring.", ["Raiser's Edge NXT"]),
        ("Housecall does dispatch for us.", ["Housecall Pro"]),
        ("The edge of the table is wet.", []),
    ],
)
def test_buyers_leave_edition_words_off_a_name(text: str, found: list[str]) -> None:
    names = ["Raiser's Edge NXT", "Housecall Pro", "When I Work"]
    assert find_competitors(text, names) == found
    assert ("a competitor" in mask_competitors(text, names)) == bool(found)


@pytest.mark.parametrize(
    ("text", "found", "masked"),
    [
        ("We spent two years implementing FleetWave.", ["Chevin FleetWave"],
         "We spent two years implementing a competitor."),
        ("FleetWave's reports, and Chevin FleetWave's support.", ["Chevin FleetWave"],
         "a competitor's reports, and a competitor's support."),
        ("LabWare's audit trail, and LabWare LIMS itself.", ["LabWare LIMS"],
         "a competitor's audit trail, and a competitor itself."),
        ("IDeaS sets our rates.", ["IDeaS G3"], "a competitor sets our rates."),
        ("We run IDeaS G3 today.", ["IDeaS G3"], "We run a competitor today."),
        ("Our CRM is a mess, the AWS bill too.", [], "Our CRM is a mess, the AWS bill too."),
        ("We moved our loads off OTM last year.", [], "We moved our loads off OTM last year."),
        ("We have some ideas about the rollout.", [], "We have some ideas about the rollout."),
        ("The fleet wave of retirements hit us.", [], "The fleet wave of retirements hit us."),
    ],
)  # fmt: skip
def test_buyers_name_the_product_without_its_vendor(
    text: str, found: list[str], masked: str
) -> None:
    names = ["Chevin FleetWave", "Oracle OTM", "IDeaS G3", "LabWare LIMS", "HubSpot CRM",
             "AWS Cost Explorer"]  # fmt: skip
    assert find_competitors(text, names) == found
    assert mask_competitors(text, names) == masked


def test_unknown_alternatives_named_as_what_we_use() -> None:
    found = find_competitors("Right now we use Trello Boards for all of that, so", [])
    assert found == ["Trello Boards"]
    assert find_competitors("We're on Monday with the team", []) == []
    assert find_competitors("We already have Zendesk and it works", []) == ["Zendesk"]
    assert find_competitors("We use it every day.", []) == []


def test_a_word_inside_another_is_not_a_mention() -> None:
    assert find_competitors("The deputy director signed it.", ["Deputy"]) == ["Deputy"]
    assert find_competitors("We use a deputyship model", ["Deputy"]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We're on 7shifts, and it took a year.", "We're on a competitor, and it took a year."),
        ("honestly hubs pot does the same", "honestly a competitor does the same"),
        ("Deputy's quote was lower.", "a competitor's quote was lower."),
        ("seven shifts and HubSpot both", "a competitor and a competitor both"),
        ("Our deputy manager signs off.", "Our a competitor manager signs off."),
        ("We use spreadsheets.", "We use spreadsheets."),
    ],
)
def test_competitor_names_are_masked_however_asr_spells_them(text: str, expected: str) -> None:
    # A configured name is masked even as an ordinary word ("deputy"): the config is the truth.
    assert mask_competitors(text, ["7shifts", "HubSpot", "Deputy"]) == expected
    assert mask_competitors(text, []) == text


def test_every_training_example_knows_its_companys_competitors() -> None:
    corpus = load_corpus()
    named = [e for e in corpus if e.category == "competitor" and e.competitors]
    assert len(named) > 0.9 * sum(e.category == "competitor" for e in corpus)
    masked = [e for e in named if mask_competitors(e.text, e.competitors) != e.text]
    assert len(masked) > 0.6 * len(named)  # most competitor objections name one


def test_keyword_baseline_needs_a_concern_and_a_topic() -> None:
    sentences = [
        Sentence("c", 0, "B", "buyer", 0, 1, "Honestly the price is too high for us."),
        Sentence("c", 1, "B", "buyer", 1, 2, "What's the price per user?"),
        Sentence("c", 2, "R", "rep", 2, 3, "I know the price is a concern, but it pays back."),
    ]
    found = KeywordDetector().detect(sentences, np.zeros((3, 1)))
    assert [(o.sentence.index, o.category) for o in found] == [(0, "price")]
    assert keyword_category("our SOC 2 audit and data privacy") == "security"


def test_the_shipped_corpus_covers_every_category_with_hard_negatives() -> None:
    corpus = load_corpus()
    buyers = [e for e in corpus if e.role == "buyer"]
    assert {e.category for e in buyers if e.category} == set(CATEGORIES)
    negatives = [e for e in buyers if e.category is None]
    assert len(negatives) > 0.4 * len(buyers)
    assert all(e.category is None for e in corpus if e.role == "rep")
    assert any(e.weight > 1 for e in corpus), "labelled calls are part of the corpus"


def test_cached_models_predict_exactly_like_sklearn(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    binary = LogisticRegression().fit(x, x[:, 0] > 0)
    multi = LogisticRegression().fit(x, np.array(["a", "b", "c"])[rng.integers(0, 3, 60)])
    path = tmp_path / "m.npz"
    save_models(path, (Linear.of(binary), Linear.of(multi)))
    loaded = load_models(path)
    assert loaded is not None
    np.testing.assert_allclose(loaded[0].predict_proba(x), binary.predict_proba(x), atol=1e-9)
    np.testing.assert_allclose(loaded[1].predict_proba(x), multi.predict_proba(x), atol=1e-9)
    assert loaded[1].predict(x) == list(multi.predict(x))
    assert load_models(tmp_path / "missing.npz") is None


def follow_up_objections(*said: tuple[str, int, str, str, float]) -> list[Objection]:
    """(call, buyer turn, text, category the model gave, its probability) per objection."""
    return [
        Objection(
            Sentence(call, n, "B", "buyer", 0, 0, text, turn=turn), category, 0.9, [], None, p
        )
        for n, (call, turn, text, category, p) in enumerate(said)
    ]


def test_a_short_follow_up_the_model_doubts_takes_the_category_it_continues() -> None:
    long_aside = "And separately the seat price is more than we pay for everything else, " * 2
    found = follow_up_objections(
        ("C-1", 0, "Our payroll export broke twice with the last vendor.", "integration", 0.8),
        ("C-1", 1, "That would be the only way I'd believe it.", "security", 0.37),  # after the rep
        ("C-1", 1, long_aside, "price", 0.4),  # long: it says enough to judge for itself
        ("C-1", 2, "And the contract is too long.", "contract", 0.9),  # short, but said plainly
        ("C-1", 4, "Not sure I buy any of it.", "need", 0.37),  # a buyer turn in between
        ("C-2", 5, "We're fine as we are.", "proof", 0.3),  # another call
    )
    carry_follow_ups(found)
    categories = [o.category for o in found]
    assert categories == ["integration", "integration", "price", "contract", "need", "proof"]
