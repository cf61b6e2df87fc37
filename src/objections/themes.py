"""Themes: group objections by the concern they voice.

The category is the strongest signal of what a buyer objects to, so objections are grouped by
category first and HDBSCAN splits each category into its recurring concerns; the smallest theme
grows with the category, so ten calls and 50,000 objections both give a count a person can read.
Keywords, labels and quotes come from objections.labels.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from objections.config import ThemesConfig
from objections.detect import follow_ups
from objections.labels import describe
from objections.models import Objection, Theme


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
    people: Iterable[str] = (),
) -> tuple[list[Theme], list[Objection]]:
    """Themes over the objections (vectors row-aligned), and the objections left in none.
    `people`: names (speakers, reps) that are never a theme's keyword or label."""
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
    other = join_follow_ups(objections, groups, other)
    themes = [_theme(objections, vectors, g) for g in groups]
    describe(themes, config, people)
    assign_ids(themes, previous or [], config.match_threshold)
    for theme in themes:
        for objection in theme.objections:
            objection.theme_id = theme.id
    return themes, [objections[i] for i in other]


def join_follow_ups(
    objections: list[Objection], groups: list[list[int]], other: list[int]
) -> list[int]:
    """Each unclustered short follow-up ("That would be the only way I'd believe it.") joins
    the theme of the objection it continues, when they share the category: it has too few words
    of its own to place by meaning. Returns the rows still in no theme."""
    row = {id(o): i for i, o in enumerate(objections)}
    group_of = {i: g for g in groups for i in g}
    left = set(other)
    for before, after in follow_ups(objections):  # in call order: a chain follows its head
        i, lead = row[id(after)], row[id(before)]
        if i in left and lead in group_of and before.category == after.category:
            group_of[lead].append(i)
            group_of[i] = group_of[lead]
            left.discard(i)
    return [i for i in other if i in left]


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
    least = cluster_size(len(members), config)
    groups = [g for g in named.values() if len(g) >= least]
    if len(groups) < 2:
        return [members]
    grouped = {i for g in groups for i in g}
    rest = [i for i in members if i not in grouped]
    if rest:
        centres = np.array([_unit(vectors[g].mean(axis=0)) for g in groups])
        for i, best in zip(rest, np.argmax(vectors[rest] @ centres.T, axis=1), strict=True):
            groups[int(best)].append(i)
    return [sorted(g) for g in groups]


# A theme is at least this share of its category: with a fixed minimum, a growing category splits
# into ever more themes (every wording that recurs three times became one: 797 themes for the
# 5,336 objections of benchmarks/analysis_throughput.py --calls 1000; 73 with this share).
SIZE_SHARE = 0.03
# HDBSCAN's cost grows with the square of the rows: beyond this many, a spread sample of the
# category is clustered and the other rows join the nearest cluster.
SAMPLE_ROWS = 2000
MIN_SAMPLES_DIVISOR = 3  # min_samples = min_cluster_size // 3 (1 on small batches)


def cluster_size(n: int, config: ThemesConfig) -> int:
    """The smallest theme for a category of n objections: the configured floor for small
    batches, a fixed share of the category as it grows."""
    return max(config.min_cluster_size, round(n * SIZE_SHARE))


def split_category(vectors: np.ndarray, config: ThemesConfig) -> tuple[list[list[int]], list[int]]:
    """Clusters (lists of row indices) within one category, and the rows in none."""
    n = len(vectors)
    if n < 2:
        return [], list(range(n))
    if n < 2 * config.min_cluster_size + 2:
        return [list(range(n))], []
    sample = np.arange(n)
    if n > SAMPLE_ROWS:
        # Seeded, so the same input gives the same themes.
        sample = np.sort(np.random.default_rng(0).choice(n, SAMPLE_ROWS, replace=False))
    labels = hdbscan_labels(vectors[sample], cluster_size(len(sample), config))
    ids = sorted(set(labels) - {-1})
    if len(ids) <= 1:
        return [list(range(n))], []
    clusters = [sample[labels == c].tolist() for c in ids]
    clusters = merge_similar(clusters, vectors)
    unsampled = np.setdiff1d(np.arange(n), sample)
    noise = np.concatenate([sample[labels == -1], unsampled]).tolist()
    return attach_noise(clusters, noise, vectors, config)


def hdbscan_labels(vectors: np.ndarray, min_cluster_size: int) -> np.ndarray:
    import hdbscan

    clusterer = hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size,
        # Density from one neighbour on small batches (a theme may be three sentences); from
        # more as themes grow, so a few bridging sentences do not chain two concerns together.
        min_samples=max(1, min_cluster_size // MIN_SAMPLES_DIVISOR),
        cluster_selection_method="eom",
        metric="euclidean",  # on unit vectors, a monotone function of cosine distance
        # The exact tree from the full distance matrix (one BLAS product): in 384 dimensions a
        # k-d tree prunes nothing and is about 4x slower.
        algorithm="generic",
    )
    return np.asarray(clusterer.fit_predict(vectors.astype(np.float64)))


MERGE_RATIO = 0.85  # merge when members across two clusters are this close to members within


def merge_similar(clusters: list[list[int]], vectors: np.ndarray) -> list[list[int]]:
    """Merge clusters whose members are nearly as similar across the two as within each:
    HDBSCAN also splits one concern by wording, and such halves interleave.

    Mean cosines come from each cluster's vector sum (unit rows: the mean over pairs across two
    clusters is sum_a . sum_b / (n_a n_b); within one, self-pairs left out), so a step costs one
    k x k product, not a pass over all pairs of members."""
    clusters = [list(c) for c in clusters]
    sums = np.array([vectors[c].astype(np.float64).sum(axis=0) for c in clusters])
    sizes = np.array([len(c) for c in clusters], dtype=np.float64)
    norms = np.array([float((vectors[c].astype(np.float64) ** 2).sum()) for c in clusters])
    while len(clusters) > 1:
        across = (sums @ sums.T) / np.outer(sizes, sizes)
        within = (np.diag(sums @ sums.T) - norms) / np.maximum(1.0, sizes * sizes - sizes)
        ratio = across / np.maximum(1e-6, np.minimum.outer(within, within))
        ratio[np.tril_indices(len(clusters))] = -np.inf  # each pair once, a before b
        a, b = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        if ratio[a, b] < MERGE_RATIO:
            break
        clusters[a].extend(clusters[b])
        del clusters[b]
        sums[a] += sums[b]
        sizes[a] += sizes[b]
        norms[a] += norms[b]
        sums, sizes, norms = (np.delete(x, b, axis=0) for x in (sums, sizes, norms))
    return clusters


def attach_noise(
    clusters: list[list[int]],
    noise: list[int],
    vectors: np.ndarray,
    config: ThemesConfig,
) -> tuple[list[list[int]], list[int]]:
    """Each unclustered row (noise, or left out of the sample) joins its nearest cluster when
    close enough."""
    if not noise:
        return [sorted(c) for c in clusters], []
    centres = np.array([_unit(vectors[c].mean(axis=0)) for c in clusters])
    sims = vectors[noise] @ centres.T
    best = np.argmax(sims, axis=1)
    left = []
    for i, b, sim in zip(noise, best, sims[np.arange(len(noise)), best], strict=True):
        if sim >= config.assign_threshold:
            clusters[int(b)].append(i)
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
