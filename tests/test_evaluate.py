"""Eval against labelled calls, for runs on their JSON and on recordings of them (fakes only:
the script transcriber stands in for Whisper, so the 'ASR' errors are known in advance)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import NEUTRAL, PRICE, SECURITY, CountingEmbedder, ScriptTranscriber, write_audio_stub

from objections.config import CompanyConfig, Config
from objections.detect import KeywordDetector
from objections.evaluate import (
    GoldSentence,
    align,
    evaluate,
    evaluate_run,
    run_detections,
    run_theme_scores,
)
from objections.models import Objection, Sentence, Turn
from objections.pipeline import Components, Pipeline, RunOptions
from objections.store import Store

REP, BUYER = "Sam Seller", "Dana Buyer"
PRICE_LABEL = {"category": "price", "theme": "seat-price"}
SECURITY_LABEL = {"category": "security", "theme": "data-residency"}
# What a poor recogniser makes of SECURITY[0]: too few words survive to line up with the label.
MISHEARD = "Our secure tea team will want a sock to report and am word about wear the dater lives."

# call id -> turns of (speaker, [(sentence, label)])
CALLS = {
    "A-1": [
        (REP, [("Thanks for joining, how do you schedule today?", None)]),
        (BUYER, [(NEUTRAL[0], None), (PRICE[0], PRICE_LABEL)]),
        (REP, [("Understood, let me note that.", None)]),
        (BUYER, [(SECURITY[0], SECURITY_LABEL)]),
    ],
    "A-2": [
        (REP, [("Tell me about your team.", None)]),
        (BUYER, [(PRICE[1], PRICE_LABEL), (NEUTRAL[1], None)]),
        (REP, [("Okay, noted.", None)]),
        (BUYER, [(SECURITY[1], SECURITY_LABEL)]),
    ],
}


def write_labelled(folder: Path) -> list[Path]:
    """The calls in the devset format, every sentence labelled or null."""
    paths = []
    for call_id, turns in CALLS.items():
        clock, rows = 0.0, []
        for speaker, sentences in turns:
            said = [{"text": t, "label": lab} for t, lab in sentences]
            rows.append({"speaker": speaker, "start": clock, "end": clock + 5, "sentences": said})
            clock += 6
        doc = {"call_id": call_id, "date": "2026-11-02", "account": f"Acct {call_id}",
               "stage": "demo", "outcome": "open", "speakers": {REP: "rep", BUYER: "buyer"},
               "turns": rows}  # fmt: skip
        path = folder / f"{call_id}.json"
        path.write_text(json.dumps(doc))
        paths.append(path)
    return paths


def recorded(call_id: str, replace: dict[str, str]) -> list[Turn]:
    """A call as a stereo transcriber returns it: rep on channel 0, buyer on 1, one text per
    turn without commas, the `replace` sentences misheard."""
    turns, clock = [], 0.0
    for speaker, sentences in CALLS[call_id]:
        channel = 0 if speaker == REP else 1
        text = " ".join(replace.get(t, t).replace(",", "") for t, _ in sentences)
        turns.append(Turn(f"channel {channel}", clock, clock + 5, text, channel=channel))
        clock += 6
    return turns


def make_pipeline(tmp_path: Path, scripts: dict[str, list[Turn]]) -> Pipeline:
    config = Config(company=CompanyConfig(name="Acme", reps=[REP]))
    parts = Components(
        transcriber=ScriptTranscriber(scripts),
        embedder=CountingEmbedder(),
        detector=KeywordDetector(),
    )
    return Pipeline(config, Store(tmp_path / "s.db"), parts)


@pytest.fixture
def labelled(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "calls"
    folder.mkdir()
    return write_labelled(folder)


def run_on(tmp_path: Path, inputs: list[Path], scripts: dict[str, list[Turn]], labelled):
    pipeline = make_pipeline(tmp_path, scripts)
    options = RunOptions(inputs=inputs, out=tmp_path / "out", config=pipeline.config)
    return evaluate_run(run_detections(pipeline, options), labelled)


def test_a_run_on_the_labelled_text_finds_every_objection(tmp_path, labelled) -> None:
    scores = run_on(tmp_path, labelled, {}, labelled)
    assert scores["calls"] == 2 and scores["failed"] == []
    assert scores["buyer_sentences"] == 6
    detection = scores["detection"]
    assert detection["gold_objections"] == 4
    assert (detection["precision"], detection["recall"], detection["category_accuracy"]) == (
        1.0,
        1.0,
        1.0,
    )


def test_recordings_are_scored_against_the_labels_of_their_calls(tmp_path, labelled) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    for call_id in CALLS:
        write_audio_stub(audio / f"{call_id}.wav")
    scripts = {
        "A-1.wav": recorded("A-1", {SECURITY[0]: MISHEARD}),
        "A-2.wav": recorded("A-2", {}),
    }
    scores = run_on(tmp_path, sorted(audio.iterdir()), scripts, labelled)
    detection = scores["detection"]
    # Sentences split anew from whole turns, commas gone, still line up; the misheard objection
    # is lost (or, if keywords still fire on it, a false positive: it matches no label).
    assert detection["recall"] == 0.75
    assert detection["per_category_recall"]["security"] == 0.5
    assert detection["per_category_recall"]["price"] == 1.0


def test_recordings_not_named_by_call_id_are_refused(tmp_path, labelled) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    write_audio_stub(audio / "recording-1.wav")
    with pytest.raises(ValueError, match="recording-1"):
        run_on(tmp_path, [audio / "recording-1.wav"], {"recording-1.wav": recorded("A-1", {})},
               labelled)  # fmt: skip


def test_align_prefers_the_sentence_most_like_the_prediction() -> None:
    gold = [
        GoldSentence("A-1", "Okay.", "buyer", None, None),
        GoldSentence("A-1", "Yeah, that's a rough week.", "buyer", None, None),
        GoldSentence("A-1", PRICE[0], "buyer", "price", "seat-price"),
        GoldSentence("A-2", PRICE[0], "buyer", "price", "seat-price"),
    ]
    predicted = [
        # Every word of "Okay." is in it too, but it is the objection itself.
        Sentence("A-1", 0, "b", "buyer", 0, 0, "Okay, " + PRICE[0].lower()),
        # ASR ran a short reply into the objection: the objection is what it says.
        Sentence("A-1", 1, "b", "buyer", 0, 0, "Yeah that's a rough week but " + PRICE[0]),
        Sentence("A-1", 2, "b", "buyer", 0, 0, "Okay."),
        Sentence("A-1", 3, "b", "buyer", 0, 0, "Thursday works for the follow up."),
    ]
    assert align(predicted, gold) == {0: 2, 1: 2, 2: 0}


def objection(call_id: str, index: int, text: str, theme_id: str | None) -> Objection:
    sentence = Sentence(call_id, index, "Dana", "buyer", 0.0, 0.0, text)
    return Objection(sentence, "price", 0.9, theme_id=theme_id)


def test_run_theme_scores_compare_the_runs_themes_with_gold_themes() -> None:
    gold = [
        GoldSentence("A-1", PRICE[0], "buyer", "price", "seat-price"),
        GoldSentence("A-1", PRICE[1], "buyer", "price", "seat-price"),
        GoldSentence("A-1", SECURITY[0], "buyer", "security", "data-residency"),
        GoldSentence("A-1", SECURITY[1], "buyer", "security", "data-residency"),
        GoldSentence("A-1", NEUTRAL[0], "buyer", None, None),
    ]
    texts = [PRICE[0], PRICE[1], SECURITY[0], SECURITY[1], NEUTRAL[0]]
    right = [objection("A-1", n, t, th) for n, (t, th) in enumerate(
        zip(texts, ["t1", "t1", "t2", "t2", "t1"], strict=True))]  # fmt: skip
    sentences = [o.sentence for o in right]
    perfect = run_theme_scores(right, sentences, gold)
    # The false positive (NEUTRAL[0]) has no gold theme, so it is left out.
    assert perfect == {"ari": 1.0, "nmi": 1.0, "objections": 4}

    merged = [objection("A-1", n, t, "t1") for n, t in enumerate(texts)]
    assert run_theme_scores(merged, sentences, gold)["ari"] == 0.0

    unthemed = [objection("A-1", n, t, None) for n, t in enumerate(texts[:2])]
    # Two objections outside every theme are two singletons, not one shared theme.
    assert run_theme_scores(unthemed, sentences, gold)["ari"] == 0.0


def test_evaluate_still_reports_every_figure(tmp_path, labelled) -> None:
    root = tmp_path / "set"
    root.mkdir()
    (tmp_path / "calls").rename(root / "calls")
    (root / "company.json").write_text(json.dumps({"company": "Acme", "reps": [REP]}))
    themes = {
        "seat-price": {"category": "price", "asset": None, "brief_type": "faq"},
        "data-residency": {"category": "security", "asset": None, "brief_type": "faq"},
    }
    (root / "themes.json").write_text(json.dumps(themes))
    pipeline = make_pipeline(tmp_path, {})
    scores = evaluate(root, tmp_path / "out", pipeline, pipeline.config)
    assert scores["calls"] == 2
    assert scores["detection"]["recall"] == 1.0
    assert {"keyword_baseline", "themes", "assets", "trends", "roles_heuristic_accuracy"} <= (
        scores.keys()
    )


def test_theme_scores_split_competitor_objections_by_the_name_as_the_pipeline_does(
    tmp_path: Path,
) -> None:
    from objections.evaluate import theme_scores

    said = {
        "rivalsoft-lock-in": [
            "We signed a three year deal with Rivalsoft last spring.",
            "Rivalsoft is already wired into everything we do.",
            "Our team knows Rivalsoft inside out.",
        ],
        "otherly-cheaper": [
            "Otherly quoted us half of what you charge.",
            "Honestly Otherly does the same thing for less.",
            "Otherly gave us a discount to stay.",
        ],
    }
    gold = [
        GoldSentence("C-1", text, "buyer", "competitor", theme)
        for theme, texts in said.items()
        for text in texts
    ]
    pipeline = make_pipeline(tmp_path, {})
    config = Config(company=CompanyConfig(name="Acme", competitors=["Rivalsoft", "Otherly"]))
    scores, _ = theme_scores(pipeline, gold, config)
    assert scores["ari"] == 1.0
