"""Themes on synthetic vectors with known answers: grouping, small batches, stable ids, labels."""

from __future__ import annotations

import zlib

import numpy as np

from objections.config import ThemesConfig
from objections.models import Objection, Sentence
from objections.themes import PreviousTheme, build_themes, distinct, phrases

RNG = np.random.default_rng(0)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def make(
    groups: dict[str, tuple[str, int]], dim: int = 32, noise: float = 0.1, seed: int = 0
) -> tuple[list[Objection], np.ndarray, list[str]]:
    """Objections drawn around one random centre per named group; returns (objections, vectors,
    true group per objection)."""
    rng = np.random.default_rng(seed)
    objections, vectors, truth = [], [], []
    for name, (category, count) in groups.items():
        centre = unit(np.random.default_rng(zlib.crc32(name.encode())).normal(size=dim))
        for k in range(count):
            text = f"{name} concern number {k} about {category}"
            sentence = Sentence(f"call-{k % 5}", len(objections), "Buyer", "buyer", k, k + 1, text)
            objections.append(Objection(sentence, category, 0.9))
            vectors.append(unit(centre + noise * rng.normal(size=dim)))
            truth.append(name)
    return objections, np.asarray(vectors, dtype=np.float32), truth


def theme_of(objections: list[Objection]) -> list[str | None]:
    return [o.theme_id for o in objections]


def test_each_category_becomes_its_themes() -> None:
    objections, vectors, truth = make({"a": ("price", 8), "b": ("security", 8), "c": ("timing", 6)})
    themes, other = build_themes(objections, vectors, ThemesConfig())
    assert len(themes) == 3 and not other
    by_truth = {t: {o.theme_id for o, g in zip(objections, truth, strict=True) if g == t}
                for t in set(truth)}  # fmt: skip
    assert all(len(ids) == 1 for ids in by_truth.values())
    assert len({next(iter(ids)) for ids in by_truth.values()}) == 3


def test_two_concerns_in_one_category_are_split() -> None:
    objections, vectors, truth = make({"seats": ("price", 10), "fees": ("price", 10)}, noise=0.1)
    themes, _ = build_themes(objections, vectors, ThemesConfig())
    assert len(themes) == 2
    for theme in themes:
        members = {truth[o.sentence.index] for o in theme.objections}
        assert len(members) == 1


def test_small_batches_do_not_collapse_into_noise() -> None:
    objections, vectors, _ = make({"a": ("price", 3), "b": ("security", 2)})
    themes, other = build_themes(objections, vectors, ThemesConfig())
    assert len(themes) == 2 and other == []


def test_a_lone_objection_is_other_not_a_theme() -> None:
    objections, vectors, _ = make({"a": ("price", 4), "b": ("contract", 1)})
    themes, other = build_themes(objections, vectors, ThemesConfig())
    assert [t.category for t in themes] == ["price"]
    assert [o.category for o in other] == ["contract"]


def test_same_input_twice_gives_the_same_ids() -> None:
    objections, vectors, _ = make({"a": ("price", 6), "b": ("need", 6)})
    first, _ = build_themes(objections, vectors, ThemesConfig())
    again, _ = build_themes(objections, vectors, ThemesConfig())
    assert [t.id for t in first] == [t.id for t in again]


def test_ids_survive_added_calls() -> None:
    """A later run with more objections keeps the earlier themes' ids and adds new ids."""
    week1, v1, _ = make({"a": ("price", 6), "b": ("security", 6)}, seed=1)
    themes1, _ = build_themes(week1, v1, ThemesConfig())
    previous = [PreviousTheme(t.id, t.category, np.asarray(t.centroid, dtype=np.float32))
                for t in themes1]  # fmt: skip
    week2, v2, _ = make({"a": ("price", 9), "b": ("security", 7), "c": ("timing", 5)}, seed=2)
    themes2, _ = build_themes(week2, v2, ThemesConfig(), previous)
    old = {t.category: t.id for t in themes1}
    new = {t.category: t.id for t in themes2}
    assert new["price"] == old["price"] and new["security"] == old["security"]
    assert new["timing"] not in old.values()


def test_a_competitor_complaint_named_often_is_its_own_theme() -> None:
    """Names are masked before embedding; the name splits competitor themes when it recurs."""
    objections, vectors, _ = make({"x": ("competitor", 8)}, noise=0.05)
    for n, objection in enumerate(objections):
        objection.competitors = ["Acme"] if n % 2 else ["Globex"]
    themes, _ = build_themes(objections, vectors, ThemesConfig())
    assert sorted(t.competitors[0] for t in themes) == ["Acme", "Globex"]


def test_keywords_skip_stop_words_fillers_and_cross_clause_phrases() -> None:
    found = phrases("Um, honestly the per seat price, you know, it's just too expensive.")
    assert {"seat price", "expensive"} <= found and "per seat price" not in found
    assert not any(p.startswith(("um", "honestly", "it's", "you know")) for p in found)
    assert "price you" not in found, "phrases stay within a clause"


def test_distinct_drops_phrases_repeating_a_chosen_word() -> None:
    assert distinct(["seat price", "price", "seats", "contract"], 5) == ["seat price", "contract"]
