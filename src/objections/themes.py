"""Themes: group objections by the concern they voice.

The category is the strongest signal of what a buyer objects to, so objections are grouped by
category first and HDBSCAN splits each category into its recurring concerns. Labels and keywords
come from the buyers' own words (class-based TF-IDF), quotes from the members nearest the centre.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from objections.config import ThemesConfig
from objections.models import Objection, Quote, Theme

CATEGORY_NAMES = {
    "price": "Price", "timing": "Timing", "authority": "Sign-off", "need": "No need",
    "competitor": "Competitor", "integration": "Integration", "security": "Security",
    "implementation": "Rollout", "proof": "Proof", "contract": "Contract",
}  # fmt: skip
FILLERS = {
    "um", "uh", "like", "yeah", "know", "mean", "just", "really", "kind", "sort", "honestly",
    "gonna", "okay", "ok", "right", "thing", "things", "stuff", "lot", "guys", "actually", "pretty",
    "think", "going", "get", "got", "want", "say", "said", "look", "maybe", "probably", "basically",
    "sure", "guess", "bit", "little", "way", "kinda", "wanna", "don", "doesn", "didn", "isn", "ll",
    "ve", "re", "s", "t", "d", "m", "yes", "hey", "oh", "well", "one", "also", "make",
    "need", "needs", "something", "anything", "everything", "good", "great", "much", "even",
    "problem", "somebody", "someone", "different", "knows", "tell", "told", "talk", "people",
    "honest", "worried", "concern", "concerned", "sounds", "definitely", "totally", "literally",
    "says", "heard", "hear",
}  # fmt: skip


@dataclass
class PreviousTheme:
    id: str
    category: str
    centroid: np.ndarray


def build_themes(
    objections: list[Objection],
    vectors: np.ndarray,
    config: ThemesConfig,
    previous: list[PreviousTheme] | None = None,
) -> tuple[list[Theme], list[Objection]]:
    """Themes over the objections (vectors row-aligned), and the objections left in none."""
    groups: list[list[int]] = []
    other: list[int] = []
    for category in sorted({o.category for o in objections}):
        members = [i for i, o in enumerate(objections) if o.category == category]
        subsets = (
            by_competitor(objections, members, vectors, config)
            if category == "competitor"
            else [members]
        )
        for subset in subsets:
            clusters, noise = split_category(vectors[subset], config)
            groups.extend([[subset[i] for i in c] for c in clusters])
            other.extend(subset[i] for i in noise)
    themes = [_theme(objections, vectors, g) for g in groups]
    describe(themes, config)
    assign_ids(themes, previous or [], config.match_threshold)
    for theme in themes:
        for objection in theme.objections:
            objection.theme_id = theme.id
    return themes, [objections[i] for i in other]


def by_competitor(
    objections: list[Objection], members: list[int], vectors: np.ndarray, config: ThemesConfig
) -> list[list[int]]:
    """Split competitor objections by the alternative they name, when a name recurs: "we're
    locked into X" is its own theme per X. Names are masked before embedding, so this is the
    only place they separate themes. Objections naming none join the nearest group."""
    named: dict[str, list[int]] = {}
    for i in members:
        if objections[i].competitors:
            named.setdefault(objections[i].competitors[0], []).append(i)
    groups = [g for g in named.values() if len(g) >= config.min_cluster_size]
    if len(groups) < 2:
        return [members]
    grouped = {i for g in groups for i in g}
    centres = np.array([_unit(vectors[g].mean(axis=0)) for g in groups])
    for i in members:
        if i not in grouped:
            groups[int(np.argmax(centres @ vectors[i]))].append(i)
    return [sorted(g) for g in groups]


def split_category(vectors: np.ndarray, config: ThemesConfig) -> tuple[list[list[int]], list[int]]:
    """Clusters (lists of row indices) within one category, and the rows in none."""
    n = len(vectors)
    if n < 2:
        return [], list(range(n))
    if n < 2 * config.min_cluster_size + 2:
        return [list(range(n))], []
    import hdbscan

    clusterer = hdbscan.HDBSCAN(
        min_cluster_size=config.min_cluster_size,
        min_samples=1,
        cluster_selection_method="eom",
        metric="euclidean",  # on unit vectors, a monotone function of cosine distance
    )
    labels = clusterer.fit_predict(vectors.astype(np.float64))
    ids = sorted(set(labels) - {-1})
    if len(ids) <= 1:
        return [list(range(n))], []
    clusters = merge_similar([[i for i in range(n) if labels[i] == c] for c in ids], vectors)
    return attach_noise(clusters, [i for i in range(n) if labels[i] == -1], vectors, config)


MERGE_RATIO = 0.85  # merge when members across two clusters are this close to members within


def merge_similar(clusters: list[list[int]], vectors: np.ndarray) -> list[list[int]]:
    """Merge clusters whose members are nearly as similar across the two as within each:
    HDBSCAN also splits one concern by wording, and such halves interleave."""
    clusters = [list(c) for c in clusters]
    while len(clusters) > 1:
        within = [_mean_similarity(vectors[c], vectors[c]) for c in clusters]
        best, pair = -1.0, (0, 0)
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                across = _mean_similarity(vectors[clusters[a]], vectors[clusters[b]])
                ratio = across / max(1e-6, min(within[a], within[b]))
                if ratio > best:
                    best, pair = ratio, (a, b)
        if best < MERGE_RATIO:
            break
        a, b = pair
        clusters[a].extend(clusters[b])
        del clusters[b]
    return clusters


def _mean_similarity(left: np.ndarray, right: np.ndarray) -> float:
    """Mean cosine between rows of two sets (unit vectors), leaving out self-pairs."""
    sims = left @ right.T
    if left is right or (left.shape == right.shape and np.array_equal(left, right)):
        n = len(left)
        return float((sims.sum() - np.trace(sims)) / max(1, n * n - n))
    return float(sims.mean())


def attach_noise(
    clusters: list[list[int]], noise: list[int], vectors: np.ndarray, config: ThemesConfig
) -> tuple[list[list[int]], list[int]]:
    """Each unclustered row joins its nearest cluster when close enough."""
    centres = np.array([_unit(vectors[c].mean(axis=0)) for c in clusters])
    left = []
    for i in noise:
        sims = centres @ vectors[i]
        best = int(np.argmax(sims))
        if sims[best] >= config.assign_threshold:
            clusters[best].append(i)
        else:
            left.append(i)
    return [sorted(c) for c in clusters], left


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _theme(objections: list[Objection], vectors: np.ndarray, members: list[int]) -> Theme:
    centroid = _unit(vectors[members].mean(axis=0))
    # Members ordered by closeness to the centre: the most typical wording first.
    order = sorted(members, key=lambda i: -float(vectors[i] @ centroid))
    items = [objections[i] for i in order]
    competitors = Counter(c for o in items for c in o.competitors)
    return Theme(
        id="",
        label="",
        category=items[0].category,
        objections=items,
        centroid=[round(float(v), 6) for v in centroid],
        competitors=[name for name, _ in competitors.most_common()],
        mentions=len(items),
    )


def describe(themes: list[Theme], config: ThemesConfig) -> None:
    """Keywords, label and quotes for each theme."""
    phrase_counts = [Counter(p for o in t.objections for p in phrases(o.sentence.text))
                     for t in themes]  # fmt: skip
    document_frequency: Counter[str] = Counter()
    for counts in phrase_counts:
        document_frequency.update(counts.keys())
    for theme, counts in zip(themes, phrase_counts, strict=True):
        scored = {
            p: n * math.log(1 + len(themes) / document_frequency[p]) * (1 + 0.25 * p.count(" "))
            for p, n in counts.items()
            if n >= 2 or len(theme.objections) < 3
        }
        theme.keywords = distinct(sorted(scored, key=lambda p: (-scored[p], p)), config.keywords)
        top = ", ".join(theme.keywords[:2]) or "other concerns"
        theme.label = f"{CATEGORY_NAMES.get(theme.category, theme.category.title())}: {top}"
        theme.quotes = pick_quotes(theme.objections, config.quotes)


_WORD = re.compile(r"[a-z0-9][a-z0-9'&-]*")


_CLAUSE = re.compile(r"[,.;:!?()\"]+|\s-\s")
# Short words allowed inside a phrase ("cost per seat", "sign off on"), never at its ends.
_JOINERS = {"of", "to", "for", "on", "per", "and", "with", "in", "the", "a", "our", "my"}


def phrases(text: str) -> set[str]:
    """1-3 word phrases within one clause that neither start nor end with a stop word."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    stop = ENGLISH_STOP_WORDS | FILLERS
    found = set()
    for clause in _CLAUSE.split(text.lower()):
        words = [w.strip("'-") for w in _WORD.findall(clause)]
        # Contractions of stop words ("i'll", "it's", "don't") are stop words too.
        words = [w if w.split("'")[0] not in stop else "" for w in words]
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if gram[0] in stop or gram[-1] in stop or any(len(w) < 2 for w in gram):
                    continue
                if any(w in stop and w not in _JOINERS for w in gram[1:-1]):
                    continue
                if n == 1 and gram[0].isdigit():
                    continue
                found.add(" ".join(gram))
    return found


def distinct(ranked: list[str], limit: int) -> list[str]:
    """Top phrases, skipping any that repeat words of one already taken."""
    chosen: list[str] = []
    for phrase in ranked:
        words = set(phrase.split())
        stems = {w.rstrip("s") for w in words}
        if any(stems & {w.rstrip("s") for w in c.split()} for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == limit:
            break
    return chosen


def pick_quotes(items: list[Objection], limit: int) -> list[Quote]:
    """The most typical members, one per call first, so the quotes show the theme's spread."""
    picked: list[Objection] = []
    seen_calls: set[str] = set()
    for pass_ in (0, 1):
        for objection in items:
            if len(picked) == limit:
                break
            new_call = objection.sentence.call_id not in seen_calls
            if objection not in picked and (new_call or pass_ == 1):
                picked.append(objection)
                seen_calls.add(objection.sentence.call_id)
    return [
        Quote(o.sentence.text, o.sentence.call_id, o.sentence.start, o.sentence.end) for o in picked
    ]


def assign_ids(themes: list[Theme], previous: list[PreviousTheme], threshold: float) -> None:
    """Keep a previous theme's id for the most similar new theme of its category."""
    pairs = []
    for t, theme in enumerate(themes):
        centre = np.asarray(theme.centroid)
        for p, old in enumerate(previous):
            if old.category == theme.category and len(old.centroid) == len(centre):
                pairs.append((float(old.centroid @ centre), t, p))
    taken_themes: set[int] = set()
    taken_previous: set[int] = set()
    for sim, t, p in sorted(pairs, reverse=True):
        if sim >= threshold and t not in taken_themes and p not in taken_previous:
            themes[t].id = previous[p].id
            taken_themes.add(t)
            taken_previous.add(p)
    used = {p.id for p in previous}
    for theme in themes:
        if not theme.id:
            theme.id = new_id(theme, used)
            used.add(theme.id)


def new_id(theme: Theme, used: set[str]) -> str:
    """An id from the theme's content, so the same input always gives the same id."""
    content = theme.category + "\n" + "\n".join(sorted(o.sentence.text for o in theme.objections))
    digest = hashlib.sha256(content.encode()).hexdigest()
    for size in range(6, len(digest)):
        candidate = f"t-{digest[:size]}"
        if candidate not in used:
            return candidate
    raise AssertionError("unreachable: sha256 prefixes ran out")
