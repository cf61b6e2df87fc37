"""Themes: group objections by the concern they voice.

The category is the strongest signal of what a buyer objects to, so objections are grouped by
category first and HDBSCAN splits each category into its recurring concerns; the smallest theme
grows with the category, so ten calls and 50,000 objections both give a count a person can read.
Keywords come from the buyers' own words (class-based TF-IDF), the label is a short stretch of a
typical buyer sentence, quotes are the members nearest the centre.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
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
    themes = [_theme(objections, vectors, g) for g in groups]
    describe(themes, config, people)
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


KEYWORD_SOURCES = 200


def describe(themes: list[Theme], config: ThemesConfig, people: Iterable[str] = ()) -> None:
    """Keywords, label and quotes for each theme. A phrase holding a person's name ("thanks
    Nadia") says who was talking, not what about: it is never a keyword."""
    named = {w for name in people for w in _WORD.findall(name.lower()) if len(w) > 2}
    # Keywords from a theme's most typical members: enough to rank its phrases, and the cost
    # stays flat as themes grow.
    phrase_counts = [Counter(p for o in t.objections[:KEYWORD_SOURCES]
                             for p in phrases(o.sentence.text)) for t in themes]  # fmt: skip
    document_frequency: Counter[str] = Counter()
    for counts in phrase_counts:
        document_frequency.update(counts.keys())
    taken: set[str] = set()
    for theme, counts in zip(themes, phrase_counts, strict=True):
        # Phrases said at least twice, where a theme has some; else its once-said ones.
        least = 2 if len(theme.objections) >= 3 else 1
        scored = weigh(counts, document_frequency, len(themes), named, least)
        if not scored and least == 2:
            scored = weigh(counts, document_frequency, len(themes), named, 1)
        theme.keywords = distinct(sorted(scored, key=lambda p: (-scored[p], p)), config.keywords)
        phrase = label(theme, scored, taken)
        # The category leads, as in the report's ranked list ("Price: paying per seat").
        theme.label = f"{category_name(theme)}: {phrase}" if phrase else keyword_label(theme)
        taken.add(phrase.lower())
        theme.quotes = pick_quotes(theme.objections, config.quotes)


def weigh(
    counts: Counter[str], frequency: Counter[str], themes: int, named: set[str], least: int
) -> dict[str, float]:
    """Class-based TF-IDF of a theme's phrases said at least `least` times (longer phrases a
    little more), leaving out any that holds a person's name."""
    return {
        p: n * math.log(1 + themes / frequency[p]) * (1 + 0.25 * p.count(" "))
        for p, n in counts.items()
        if n >= least and not named & set(p.split())
    }


def category_name(theme: Theme) -> str:
    return CATEGORY_NAMES.get(theme.category, theme.category.title())


def keyword_label(theme: Theme) -> str:
    """The fallback label: the category and the two top keywords."""
    top = ", ".join(theme.keywords[:2]) or "other concerns"
    return f"{category_name(theme)}: {top}"


LABEL_SOURCES = 6  # a label is cut from one of the theme's most typical sentences
LABEL_WORDS = (3, 7)
# Stop words a label may start with ("on MercuryGate today", "no way to export").
_LEADING_OK = {"on", "no", "not", "too", "per", "every", "without", "only", "after", "before"}
LABEL_KEYWORDS = 3  # a label holds one of the theme's top keywords
# Verbs and adverbs a label neither starts nor ends with: "franchise agreement works" and
# "means custom mapping" are fragments, "franchise agreement" and "custom mapping" are not.
_DANGLING = {"work", "works", "worked", "go", "goes", "went", "going", "get", "gets", "got", "do",
             "does", "did", "done", "be", "is", "are", "was", "were", "been", "has", "have", "had",
             "mean", "means", "meant", "make", "makes", "made", "take", "takes", "took", "come",
             "comes", "came", "feel", "feels", "felt", "seem", "seems", "sound", "sounds", "look",
             "looks", "want", "wants", "need", "needs", "know", "knows", "think", "guess", "say",
             "says", "said", "tell", "told", "gonna", "can", "can't", "won't", "would", "could",
             "should", "will", "might", "just", "even", "still", "already", "ever", "never",
             "way", "lot", "bit", "coming"}  # fmt: skip
# Spoken filler removed before a label is cut ("um", "you know", "I mean", "like,").
_SPOKEN = re.compile(r"\b(?:um+|uh+|you know|i mean|kind of|sort of|like(?=,))\b,?\s*", re.I)
# A clause also ends at a conjunction: "it's too pricey because ..." gives "it's too pricey".
_CONJUNCTION = re.compile(
    r"\s\b(?:and|but|because|cause|so|since|which|though|although|while|whereas|unless|until|"
    r"if|or|then|plus|especially)\b\s",
    re.I,
)
# Words a label does not start with: openers, hedges and the subject ("we're locked into X" is
# labelled "locked into X").
_OPENERS = {"yeah", "so", "and", "but", "honestly", "look", "well", "okay", "ok", "right", "see",
            "just", "also", "i", "i'm", "i've", "i'd", "we", "we're", "we've", "we'd", "we'll",
            "it", "it's", "that", "that's", "this", "there", "there's", "they", "they're", "you",
            "your", "our", "my", "the", "a", "an", "like", "sure", "no", "now", "to", "be",
            "is", "are", "was", "were", "really", "still", "then", "again", "frankly"}  # fmt: skip


def label(theme: Theme, weights: dict[str, float], taken: set[str]) -> str:
    """A short phrase in a buyer's own words: of the clauses of the most typical sentences, the
    3-7 word stretch holding a top keyword that carries the most keyword weight for its
    length."""
    top = set(theme.keywords[:LABEL_KEYWORDS])
    best, best_score = "", 0.0
    for rank, objection in enumerate(theme.objections[:LABEL_SOURCES]):
        for words in label_clauses(objection.sentence.text):
            for size in range(LABEL_WORDS[0], min(LABEL_WORDS[1], len(words)) + 1):
                for start in range(len(words) - size + 1):
                    stretch = words[start : start + size]
                    if not _label_edges_ok(stretch):
                        continue
                    text = " ".join(stretch)
                    found = phrases(text)
                    if not found & top:
                        continue
                    weight = sum(weights.get(p, 0.0) for p in found)
                    score = weight / (1 + 0.2 * size) * (1 - 0.05 * rank)
                    if score > best_score and text.lower() not in taken:
                        best, best_score = text, score
    # Lower-case a capital that only starts the sentence ("Paying per seat"), not "ADP".
    if best[:1].isupper() and best[1:2].islower():
        best = best[:1].lower() + best[1:]
    return best


def label_clauses(text: str) -> list[list[str]]:
    """The sentence's clauses as word lists, spoken filler removed."""
    text = _SPOKEN.sub("", text)
    out = []
    for clause in _CLAUSE.split(text):
        for part in _CONJUNCTION.split(f" {clause} "):
            words = part.split()
            while words and words[0].lower() in _OPENERS:
                words = words[1:]
            if len(words) >= LABEL_WORDS[0]:
                out.append(words)
    return out


# A subject inside a stretch starts a new clause: "7shifts we're month" is two broken halves.
_SUBJECTS = {"i", "i'm", "i've", "i'd", "i'll", "we", "we're", "we've", "we'd", "we'll", "they",
             "they're", "it's", "that's", "there's", "you're", "he's", "she's"}  # fmt: skip


def _label_edges_ok(words: list[str]) -> bool:
    if any(w.lower().strip(",.") in _SUBJECTS for w in words[1:]):
        return False
    first, last = words[0].lower(), words[-1].lower()
    stop = stop_words()
    if first in _OPENERS or first in _DANGLING or last in _DANGLING or last.endswith("ly"):
        return False
    if first.split("'")[0] in stop and first not in _LEADING_OK:
        return False
    return last not in stop and last.split("'")[0] not in stop


# A dot inside a word keeps it whole: "bill.com", "owner.com", "2.5".
_WORD = re.compile(r"[a-z0-9](?:[a-z0-9'&-]|\.(?=[a-z0-9]))*")


_CLAUSE = re.compile(r"[,;:!?()\"]+|\.+(?=\s|$)|\s-\s")
# Short words allowed inside a phrase ("cost per seat", "sign off on"), never at its ends.
_JOINERS = {"of", "to", "for", "on", "per", "and", "with", "in", "the", "a", "our", "my"}


@functools.cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS | FILLERS)


def phrases(text: str) -> set[str]:
    """1-3 word phrases within one clause that neither start nor end with a stop word."""
    stop = stop_words()
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
                if n == 1 and gram[0].replace(".", "").isdigit():
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
