"""Eval: measure the pipeline against labelled calls in the devset format.

Detection is scored over buyer sentences of a full pipeline run; themes by clustering the gold
objection sentences (so clustering is judged apart from detection); assets and brief types on the
gold themes; trends by mapping each gold theme to the run's theme that holds most of it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from objections import assets as assets_stage
from objections.briefs import brief_type
from objections.competitors import find_competitors
from objections.config import CompanyConfig, Config
from objections.detect import (
    ClassifierDetector,
    Detector,
    KeywordDetector,
    carry_follow_ups,
    labelled_sentences,
)
from objections.embed import mask_specifics
from objections.models import CATEGORIES, Call, Objection, Sentence, Theme
from objections.pipeline import Pipeline, RunOptions, RunResult
from objections.roles import assign_roles
from objections.sentences import call_sentences
from objections.themes import build_themes
from objections.transcripts import parse_transcript


@dataclass
class GoldSet:
    root: Path
    company: CompanyConfig
    calls: list[Path]
    themes: dict[str, dict[str, Any]] = field(default_factory=dict)
    trends: dict[str, list[str]] = field(default_factory=dict)
    assets: Path | None = None


def load_gold(root: Path) -> GoldSet:
    """A labelled set folder: calls/, company.json, themes.json, trends.json, assets/."""
    calls_dir = root / "calls" if (root / "calls").is_dir() else root
    company = _json(root / "company.json") or {}
    gold = GoldSet(
        root=root,
        company=CompanyConfig(
            name=company.get("company", ""),
            product=company.get("product", ""),
            reps=list(company.get("reps", [])),
            competitors=list(company.get("competitors", [])),
            vocabulary=list(company.get("vocabulary", [])),
        ),
        calls=sorted(calls_dir.glob("*.json")),
        themes=_json(root / "themes.json") or {},
        trends=_json(root / "trends.json") or {},
        assets=root / "assets" if (root / "assets").is_dir() else None,
    )
    return gold


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


@dataclass
class GoldSentence:
    call_id: str
    text: str
    role: str
    category: str | None
    theme: str | None
    turn: int = 0  # as Sentence.turn: the turns of its side before it
    context: str = ""  # as Sentence.context: the other side's turn it answers


def gold_sentences(path: Path) -> list[GoldSentence]:
    """The call's sentences as the pipeline splits them, with their labels."""
    return [
        GoldSentence(
            s.call_id,
            s.text,
            s.role,
            label.get("category"),
            label.get("theme"),
            s.turn,
            s.context,
        )
        for s, label in labelled_sentences(path)
    ]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def align(predicted: list[Sentence], gold: list[GoldSentence]) -> dict[int, int]:
    """Map predicted sentence positions to gold ones in the same call by word overlap, so a
    different sentence split (or an ASR transcript) still lines up. A candidate shares 60% of
    the shorter sentence's words; of the candidates the most similar overall wins (not the
    first): a short "Okay." whose one word a long objection also holds never takes the
    objection's place, and an ASR sentence that runs a short reply into an objection lines up
    with the objection."""
    by_call: dict[str, list[int]] = defaultdict(list)
    for g, labelled in enumerate(gold):
        by_call[labelled.call_id].append(g)
    mapping = {}
    gold_words = [_words(g.text) for g in gold]
    for p, sentence in enumerate(predicted):
        words = _words(sentence.text)
        best, best_score = -1, (0.0, 0.0)
        for g in by_call.get(sentence.call_id, []):
            shared = len(words & gold_words[g])
            contained = shared / max(1, min(len(words), len(gold_words[g])))
            score = (shared / max(1, len(words | gold_words[g])), contained)
            if contained >= 0.6 and score > best_score:
                best, best_score = g, score
        if best >= 0:
            mapping[p] = best
    return mapping


def detection_scores(
    predicted: list[Objection],
    sentences: list[Sentence],
    gold: list[GoldSentence],
) -> dict[str, Any]:
    """Precision, recall, F1 over buyer sentences; category accuracy on the true positives."""
    index = {(s.call_id, s.index): n for n, s in enumerate(sentences)}
    mapping = align(sentences, gold)
    hits: dict[int, str] = {}
    for objection in predicted:
        n = index[(objection.sentence.call_id, objection.sentence.index)]
        if n in mapping:
            hits[mapping[n]] = objection.category
    false_positives = sum(
        1
        for o in predicted
        if (g := mapping.get(index[(o.sentence.call_id, o.sentence.index)])) is None
        or gold[g].category is None
    )
    true = {g for g, s in enumerate(gold) if s.category}
    tp = len(true & hits.keys())
    precision = tp / (tp + false_positives) if tp + false_positives else 0.0
    recall = tp / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    confusion: dict[str, Counter[str]] = {c: Counter() for c in CATEGORIES}
    for g in true & hits.keys():
        confusion[gold[g].category or ""][hits[g]] += 1
    correct = sum(confusion[c][c] for c in CATEGORIES)
    per_category = {
        c: round(
            sum(1 for g in true if gold[g].category == c and g in hits)
            / max(1, sum(1 for g in true if gold[g].category == c)),
            3,
        )
        for c in CATEGORIES
    }
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "category_accuracy": round(correct / tp, 3) if tp else 0.0,
        "gold_objections": len(true),
        "detected": len(predicted),
        "per_category_recall": per_category,
        "confusion": {c: dict(row) for c, row in confusion.items() if row},
    }


def categorised(
    detector: Detector, items: list[GoldSentence], vectors: np.ndarray, names: list[str]
) -> list[Objection]:
    """Gold objection sentences (in call order, `vectors` row-aligned) as the pipeline would
    make them objections: categorised with the turn each answers (the gold category when the
    detector has no category model), the competitors they name found, short follow-ups
    carried."""
    sentences = [
        Sentence(g.call_id, n, "Buyer", "buyer", 0.0, 0.0, g.text, g.context, g.turn)
        for n, g in enumerate(items)
    ]
    if isinstance(detector, ClassifierDetector):
        classified = detector.classify(sentences, vectors)
    else:
        classified = [(g.category or "need", 1.0) for g in items]
    objections = [
        Objection(s, c, 1.0, find_competitors(s.text, names), category_confidence=sure)
        for s, (c, sure) in zip(sentences, classified, strict=True)
    ]
    carry_follow_ups(objections)
    return objections


def theme_scores(
    pipeline: Pipeline, gold: list[GoldSentence], config: Config
) -> tuple[dict[str, Any], dict[str, str]]:
    """Cluster the gold objection sentences with predicted categories; ARI/NMI vs gold themes."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    items = [g for g in gold if g.theme]
    names = config.company.competitors
    vectors = pipeline.embed([g.text for g in items])
    objections = categorised(pipeline.detector, items, vectors, names)
    sentences = [o.sentence for o in objections]
    masked = pipeline.embed([mask_specifics(s.text, names) for s in sentences])
    themes, other = build_themes(objections, masked, config.themes)
    predicted = [o.theme_id or f"other-{n}" for n, o in enumerate(objections)]
    truth = [g.theme for g in items]
    categories_by_text = {s.text: o.category for s, o in zip(sentences, objections, strict=True)}
    return {
        "ari": round(float(adjusted_rand_score(truth, predicted)), 3),
        "nmi": round(float(normalized_mutual_info_score(truth, predicted)), 3),
        "outliers": round(len(other) / max(1, len(items)), 3),
        "themes": len(themes),
        "gold_themes": len(set(truth)),
    }, categories_by_text


def asset_scores(
    pipeline: Pipeline,
    gold_set: GoldSet,
    items: list[GoldSentence],
    config: Config,
    predicted: dict[str, str],
) -> dict[str, Any]:
    """Top-1 asset and gap detection on each gold theme, and brief-type agreement."""
    found = assets_stage.load_assets(gold_set.assets) if gold_set.assets else []
    index = assets_stage.AssetIndex(found, pipeline.embed)
    top1 = gaps = types = mapped = unmapped = 0
    rows = {}
    for theme_id, meta in gold_set.themes.items():
        members = [g for g in items if g.theme == theme_id]
        if not members:
            continue
        sentences = [
            Sentence(g.call_id, n, "Buyer", "buyer", 0, 0, g.text) for n, g in enumerate(members)
        ]
        # The category the tool would give the theme: the members' most common predicted one.
        category = Counter(predicted.get(g.text, "need") for g in members).most_common(1)[0][0]
        objections = [
            Objection(s, category, 1.0, find_competitors(s.text, config.company.competitors))
            for s in sentences
        ]
        theme = Theme(id=theme_id, label=theme_id, category=category, objections=objections)
        if found:
            vectors = pipeline.embed([s.text for s in sentences])
            assets_stage.match_theme(theme, vectors, index, config.assets)
        best = theme.assets[0].asset.id if theme.assets else None
        theme.brief_type = brief_type(theme)
        types += theme.brief_type == meta.get("brief_type")
        if meta.get("asset"):
            mapped += 1
            top1 += best == meta["asset"] and theme.coverage != "gap"
        else:
            unmapped += 1
            gaps += theme.coverage == "gap"
        rows[theme_id] = {
            "best": best,
            "score": theme.assets[0].score if theme.assets else None,
            "coverage": theme.coverage,
            "gold": meta.get("asset"),
            "brief_type": theme.brief_type,
        }
    return {
        "asset_top1": round(top1 / mapped, 3) if mapped else None,
        "gap_accuracy": round(gaps / unmapped, 3) if unmapped else None,
        "brief_type_agreement": round(types / max(1, mapped + unmapped), 3),
        "themes": rows,
    }


def trend_scores(
    doc: dict[str, Any],
    objections: list[Objection],
    sentences: list[Sentence],
    gold: list[GoldSentence],
    trends: dict[str, list[str]],
) -> dict[str, Any]:
    """Is each growing/fading gold theme flagged so on the run's theme that holds most of it?"""
    mapping = align(sentences, gold)
    index = {(s.call_id, s.index): n for n, s in enumerate(sentences)}
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for o in objections:
        g = mapping.get(index[(o.sentence.call_id, o.sentence.index)])
        theme = gold[g].theme if g is not None else None
        if theme and o.theme_id:
            votes[theme][o.theme_id] += 1
    trend_of = {t["id"]: t["trend"] for t in doc["themes"]}
    result = {}
    for expected in ("growing", "fading"):
        for theme in trends.get(expected, []):
            ours = votes[theme].most_common(1)[0][0] if votes[theme] else None
            got = trend_of.get(ours or "", "missing")
            result[theme] = {"expected": expected, "got": got, "ok": got == expected}
    return result


def role_accuracy(paths: list[Path], reps: list[str]) -> float:
    """The mono/unlabelled role heuristic, on calls with their speaker maps removed."""
    right = total = 0
    for path in paths:
        doc = json.loads(path.read_text(encoding="utf-8"))
        truth = doc.get("speakers", {})
        call = Call(path.stem, str(path), "", "transcript")
        parse_transcript(path, path.read_bytes(), call)
        call.speakers = {}
        assign_roles(call, reps=[])
        for turn in call.turns:
            weight = max(1, len(turn.sentences))
            total += weight
            right += weight * (turn.role == truth.get(turn.speaker))
    return round(right / max(1, total), 3)


def evaluate(root: Path, out: Path, pipeline: Pipeline, config: Config) -> dict[str, Any]:
    gold_set = load_gold(root)
    gold = [g for path in gold_set.calls for g in gold_sentences(path)]
    buyer_gold = [g for g in gold if g.role == "buyer"]
    run = run_detections(
        pipeline, RunOptions(inputs=gold_set.calls, out=out, config=config, assets=gold_set.assets)
    )
    result, sentences, objections = run.result, run.sentences, run.objections
    keyword = KeywordDetector().detect(sentences, np.zeros((len(sentences), 1)))
    themes, predicted = theme_scores(pipeline, gold, config)
    return {
        "set": str(root),
        "calls": result.calls,
        "buyer_sentences": len(buyer_gold),
        "detection": detection_scores(objections, sentences, buyer_gold),
        "keyword_baseline": detection_scores(keyword, sentences, buyer_gold),
        "themes": themes,
        "assets": asset_scores(pipeline, gold_set, [g for g in gold if g.theme], config, predicted),
        "trends": trend_scores(
            result.doc, pipeline.last_objections, sentences, buyer_gold, gold_set.trends
        ),
        "roles_heuristic_accuracy": role_accuracy(gold_set.calls, gold_set.company.reps),
    }


@dataclass
class RunDetections:
    """A pipeline run, its buyer sentences and the objections found among them."""

    result: RunResult
    sentences: list[Sentence]
    objections: list[Objection]


def run_detections(pipeline: Pipeline, options: RunOptions) -> RunDetections:
    """Run the pipeline and collect what detection is scored on."""
    result = pipeline.run(options)
    sentences = [s for c in pipeline.calls.values() for s in call_sentences(c) if s.role != "rep"]
    return RunDetections(result, sentences, _run_objections(pipeline, sentences))


def evaluate_run(run: RunDetections, labelled: list[Path]) -> dict[str, Any]:
    """Detection and the run's own themes, scored against labelled calls (devset JSON) for a run
    on any rendering of the same calls (their JSON, or recordings named by call id): sentences
    line up by word overlap within a call (`align_closest`), so an ASR transcript is scored
    too."""
    gold = [g for path in labelled for g in gold_sentences(path) if g.role == "buyer"]
    unknown = sorted({s.call_id for s in run.sentences} - {g.call_id for g in gold})
    if unknown:
        raise ValueError(f"no labelled call for {', '.join(unknown)}: name inputs by call id")
    return {
        "calls": run.result.calls,
        "failed": [{"file": f, "error": e} for f, e in run.result.failed],
        "buyer_sentences": len(gold),
        "detection": detection_scores(run.objections, run.sentences, gold),
        "run_themes": run_theme_scores(run.objections, run.sentences, gold),
    }


def run_theme_scores(
    objections: list[Objection], sentences: list[Sentence], gold: list[GoldSentence]
) -> dict[str, Any]:
    """ARI/NMI of the run's themes against the gold themes, over the detected objections that
    line up with a labelled one: detection and clustering judged together, unlike
    `theme_scores`. An objection left out of every theme counts as a theme of its own."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    mapping = align(sentences, gold)
    index = {(s.call_id, s.index): n for n, s in enumerate(sentences)}
    truth, predicted = [], []
    for n, objection in enumerate(objections):
        g = mapping.get(index[(objection.sentence.call_id, objection.sentence.index)])
        if g is not None and gold[g].theme:
            truth.append(gold[g].theme)
            predicted.append(objection.theme_id or f"other-{n}")
    if not truth:
        return {"ari": 0.0, "nmi": 0.0, "objections": 0}
    return {
        "ari": round(float(adjusted_rand_score(truth, predicted)), 3),
        "nmi": round(float(normalized_mutual_info_score(truth, predicted)), 3),
        "objections": len(truth),
    }


def _run_objections(pipeline: Pipeline, sentences: list[Sentence]) -> list[Objection]:
    """The run's objections, re-keyed to these sentence objects."""
    keys = {(o.sentence.call_id, o.sentence.index): o for o in pipeline.last_objections}
    return [keys[(s.call_id, s.index)] for s in sentences if (s.call_id, s.index) in keys]


def format_scores(scores: dict[str, Any]) -> str:
    """The figures as a short plain-text table."""
    ours, base = scores["detection"], scores["keyword_baseline"]
    themes, assets = scores["themes"], scores["assets"]
    lines = [
        f"set: {scores['set']} ({scores['calls']} calls, {scores['buyer_sentences']} buyer "
        f"sentences, {ours['gold_objections']} labelled objections)",
        f"{'':22}{'ours':>8}{'keywords':>10}",
    ]
    for key in ("precision", "recall", "f1", "category_accuracy"):
        lines.append(f"{key.replace('_', ' '):22}{ours[key]:>8.3f}{base[key]:>10.3f}")
    lines.append(
        f"themes ARI / NMI      {themes['ari']:.3f} / {themes['nmi']:.3f} ({themes['themes']} "
        f"themes vs {themes['gold_themes']} gold, {themes['outliers']:.0%} outliers)"
    )
    lines.append(
        f"assets top-1 {_fmt(assets['asset_top1'])}  gaps {_fmt(assets['gap_accuracy'])}  "
        f"brief type {_fmt(assets['brief_type_agreement'])}"
    )
    trends = [
        f"{name} {t['expected']}: {'ok' if t['ok'] else 'got ' + t['got']}"
        for name, t in scores["trends"].items()
    ]
    lines.append("trends: " + ("; ".join(trends) or "none labelled"))
    lines.append(f"roles (heuristic, no speaker map): {scores['roles_heuristic_accuracy']:.3f}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
