"""Brief contents: working titles, the questions a page must answer, which themes get one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fakes import PRICE, CountingEmbedder, ScriptTranscriber, write_transcript_call

from objections.briefs import as_question, brief_context, is_question, theme_topic
from objections.config import BriefsConfig, CompanyConfig, Config, load_config
from objections.detect import KeywordDetector
from objections.errors import ConfigError
from objections.models import Objection, Quote, Sentence, Theme
from objections.pipeline import Components, Pipeline, RunOptions
from objections.store import Store


def theme(category: str, label: str, keywords: list[str]) -> Theme:
    sentence = Sentence("C-1", 0, "Buyer", "buyer", 0, 0, "We can't justify it.")
    return Theme(
        "t-1", label, category, [Objection(sentence, category, 1.0)],
        keywords=keywords, quotes=[Quote(sentence.text, "C-1", 0, 0)],
    )  # fmt: skip


def test_titles_speak_of_the_theme_label_not_a_lone_keyword() -> None:
    context = brief_context(theme("proof", "Proof: cut overtime", ["save", "labor"]), {}, {},
                            "Acme", date(2026, 11, 22))  # fmt: skip
    assert context["topic"] == "cut overtime"
    assert "Results you can check: cut overtime" in context["alternatives"]
    assert all("save" not in t for t in [context["title"], *context["alternatives"]])


def test_a_title_after_a_question_starts_with_a_capital() -> None:
    context = brief_context(theme("price", "Price: per-location fees", ["fees"]), {}, {},
                            "Acme", date(2026, 11, 22))  # fmt: skip
    assert "Is Acme worth it? Per-location fees" in context["alternatives"]


def test_the_topic_falls_back_to_a_keyword_then_the_category() -> None:
    assert theme_topic(theme("price", "", ["per seat"])) == "per seat"
    assert theme_topic(theme("price", "", [])) == "price"


@pytest.mark.parametrize(
    ("asked", "heading"),
    [
        ("My other question is, what do we actually get back?", "What do we actually get back?"),
        ("And so how long does it take?", "How long does it take?"),
        ("Okay, but does it work with ADP?", "Does it work with ADP?"),
        ("So what?", "So what?"),  # too little left without the lead-in: kept as said
        ("Look at the invoice, is that per seat?", "Look at the invoice, is that per seat?"),
        ("Well, how long does it take?", "How long does it take?"),
    ],
)
def test_buyer_questions_lose_their_lead_ins(asked: str, heading: str) -> None:
    assert as_question(asked) == heading


def test_an_unknown_coverage_for_briefs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "objections.toml"
    path.write_text('[briefs]\ncoverage = ["gap", "uncovered"]\n')
    with pytest.raises(ConfigError, match="uncovered") as raised:
        load_config(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    ("coverage", "briefed"), [(["gap", "partial"], True), (["covered"], False)]
)
def test_only_themes_of_the_chosen_coverage_get_briefs(
    coverage: list[str], briefed: bool, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    for n in range(3):
        write_transcript_call(calls / f"T-{n}.json", f"T-{n}", "2026-11-02", PRICE[n : n + 2])
    config = Config(company=CompanyConfig(name="Acme"), briefs=BriefsConfig(coverage))
    parts = Components(transcriber=ScriptTranscriber({}), embedder=CountingEmbedder(),
                       detector=KeywordDetector())  # fmt: skip
    pipeline = Pipeline(config, Store(tmp_path / "s.db"), parts)
    pipeline.run(RunOptions(inputs=[calls], out=tmp_path / "out", config=config))
    doc = json.loads((tmp_path / "out" / "themes.json").read_text())
    assert doc["themes"] and all(t["coverage"] == "gap" for t in doc["themes"])  # no assets
    assert all(bool(t["brief"]) == briefed for t in doc["themes"])
    assert bool(list((tmp_path / "out" / "briefs").glob("*.md"))) == briefed


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Does the caregiver get to see their own location history?", True),
        ("The location piece, these are the associates' personal phones, right?", True),
        ("Why?", False),
        ("We tried two apps, one of them quit on us, and I've got people who are very, very "
         "careful about where their data ends up, you know?", False),
        ("We use ADP for payroll.", False),
    ],
)  # fmt: skip
def test_what_counts_as_a_question_a_page_answers(text: str, question: bool) -> None:
    assert is_question(text) == question


def test_the_points_buyers_weigh_leave_out_the_competitors_names() -> None:
    weighed = theme("competitor", "Competitor: UKG Pro", ["ukg", "module", "ukg's", "work orders"])
    weighed.competitors = ["UKG Pro", "When I Work"]
    context = brief_context(weighed, {}, {}, "Acme", date(2026, 11, 22))
    assert context["points"] == ["module", "work orders"]
