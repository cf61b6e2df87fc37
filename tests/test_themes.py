"""Themes on synthetic vectors with known answers: grouping, small batches, stable ids, labels."""

from __future__ import annotations

import zlib
from collections import Counter

import numpy as np

from objections.config import ThemesConfig
from objections.embed import mask_specifics
from objections.labels import (
    Wording,
    _kind,
    _norm,
    _says_itself,
    _time_ago,
    distinct,
    phrases,
    stretches,
)
from objections.models import Objection, Sentence, Theme
from objections.themes import (
    MERGE_RATIO,
    SAMPLE_ROWS,
    PreviousTheme,
    build_themes,
    merge_similar,
)

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


def reference_merge(clusters: list[list[int]], vectors: np.ndarray) -> list[list[int]]:
    """The pairwise merge as it was written before it was vectorised: every pair of members."""

    def mean_sim(left: np.ndarray, right: np.ndarray, same: bool) -> float:
        sims = left @ right.T
        if same:
            n = len(left)
            return float((sims.sum() - np.trace(sims)) / max(1, n * n - n))
        return float(sims.mean())

    clusters = [list(c) for c in clusters]
    while len(clusters) > 1:
        within = [mean_sim(vectors[c], vectors[c], True) for c in clusters]
        best, pair = -1.0, (0, 0)
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                across = mean_sim(vectors[clusters[a]], vectors[clusters[b]], False)
                ratio = across / max(1e-6, min(within[a], within[b]))
                if ratio > best:
                    best, pair = ratio, (a, b)
        if best < MERGE_RATIO:
            break
        a, b = pair
        clusters[a].extend(clusters[b])
        del clusters[b]
    return clusters


def test_vectorised_merge_matches_the_pairwise_one() -> None:
    """Halves of one concern merge, distinct concerns stay apart, exactly as pair by pair."""
    for seed in range(5):
        _, vectors, truth = make(
            {"a": ("price", 12), "b": ("price", 12), "c": ("price", 9)}, noise=0.35, seed=seed
        )
        rng = np.random.default_rng(seed)
        # Each true group cut in two or three pieces, as HDBSCAN cuts one concern by wording.
        clusters: list[list[int]] = []
        for name in sorted(set(truth)):
            members = [i for i, t in enumerate(truth) if t == name]
            rng.shuffle(members)
            cuts = sorted(rng.choice(range(2, len(members) - 1), rng.integers(1, 3), False))
            clusters.extend(p.tolist() for p in np.split(np.array(members), cuts))
        merged = merge_similar(clusters, vectors)
        assert merged == reference_merge(clusters, vectors)
        assert len(merged) < len(clusters)


def test_theme_count_stays_small_as_the_data_grows() -> None:
    """Many recurring wordings of a few concerns per category: a fixed minimum cluster size made
    a theme of each wording; the count must stay near the number of concerns."""
    rng = np.random.default_rng(3)
    groups = {}
    for category in ("price", "timing", "security", "integration"):
        for concern in range(3):
            groups[f"{category}-{concern}"] = (category, 400)
    objections, vectors, truth = make(groups, dim=48, noise=0.12, seed=3)
    # Each concern said in twenty recurring wordings: tight little clumps within a concern.
    clumps = {(g, w): rng.normal(size=48) for g in groups for w in range(20)}
    shift = [clumps[g, w] for g, w in zip(truth, rng.integers(0, 20, len(truth)), strict=True)]
    vectors = unit(vectors + 0.1 * np.array(shift)).astype(np.float32)
    themes, other = build_themes(objections, vectors, ThemesConfig())
    # A minimum cluster size fixed at 3 made 184 themes of these 12 concerns.
    assert 8 <= len(themes) <= 24
    assert len(other) < 0.05 * len(objections)
    # Themes still follow the concerns: most objections sit with their own concern's majority.
    majority = sum(Counter(truth[o.sentence.index] for o in t.objections).most_common(1)[0][1]
                   for t in themes)  # fmt: skip
    assert majority >= 0.85 * len(objections)


def test_labels_are_short_buyer_phrases_from_the_quotes() -> None:
    texts = [
        "Um, honestly the payroll export to ADP keeps breaking every single week.",
        "Yeah so the payroll export to ADP breaks and we redo it by hand, you know.",
        "Our payroll export into ADP broke twice last month, which is a real mess.",
        "I mean the ADP payroll export is the part that always breaks on us.",
    ]
    objections, vectors, _ = make({"a": ("integration", 4)})
    for objection, text in zip(objections, texts, strict=True):
        objection.sentence.text = text
    themes, _ = build_themes(objections, vectors, ThemesConfig())
    category, label = themes[0].label.split(": ", 1)
    assert category == "Integration"
    assert 3 <= len(label.split()) <= 7
    assert "payroll export" in label.lower() and "ADP" in label
    assert not label.lower().startswith(("um", "honestly", "yeah", "so ", "i mean"))
    assert any(label.lower() in t.lower() for t in texts), "cut from a buyer's own sentence"
    assert themes[0].keywords, "keywords are kept beside the label"


def test_a_large_category_is_clustered_from_a_sample_and_every_row_placed() -> None:
    """Beyond SAMPLE_ROWS a seeded sample is clustered and the rest joins the nearest theme:
    the same concerns come out, nothing is lost, and the same input gives the same ids."""
    count = SAMPLE_ROWS + 500
    objections, vectors, truth = make(
        {"seats": ("price", count // 2), "fees": ("price", count // 2)}
    )
    themes, other = build_themes(objections, vectors, ThemesConfig())
    assert len(themes) == 2 and not other
    assert sum(len(t.objections) for t in themes) == len(objections)
    for theme in themes:
        assert len({truth[o.sentence.index] for o in theme.objections}) == 1
    again, _ = build_themes(objections, vectors, ThemesConfig())
    assert [t.id for t in again] == [t.id for t in themes]


def test_a_dotted_product_name_stays_one_word_in_keywords_and_labels() -> None:
    from objections.labels import label_clauses, phrases

    found = phrases("We signed with Bill.com last year. It costs 2.5 dollars.")
    assert "bill.com" in found and "com" not in found and "2.5" not in found
    assert label_clauses("Honestly, we moved to Bill.com last year.") == [
        ["moved", "to", "Bill.com", "last", "year"]
    ]


def test_a_persons_name_is_never_a_keyword() -> None:
    from objections.labels import describe

    said = [  # the name is never said to her, so only `people` tells it is one
        "I told Nadia the per seat price is too expensive for us.",
        "Nadia knows the per seat price is more than we budgeted.",
        "I told Nadia the per seat price is just too expensive.",
    ]
    themes = []
    for people in ((), ["Nadia Kowalski"]):
        theme = Theme(id="t-1", label="", category="price", objections=[
            Objection(Sentence("c", n, "Buyer", "buyer", 0, 1, text), "price", 0.9)
            for n, text in enumerate(said)
        ])  # fmt: skip
        describe([theme], ThemesConfig(), people)
        themes.append(theme)
    assert any("nadia" in k for k in themes[0].keywords)  # the name recurs: it would be one
    assert not any("nadia" in k for k in themes[1].keywords) and themes[1].keywords
    assert "nadia" not in themes[1].label.lower()


def test_a_label_never_spans_two_clauses_and_a_theme_always_has_keywords() -> None:
    from objections.labels import _label_edges_ok, describe

    assert not _label_edges_ok(["7shifts", "we're", "month"])
    assert _label_edges_ok(["comfortable", "on", "7shifts"])
    said = [  # three objections, no phrase said twice
        "The spreadsheet honestly works for our chefs.",
        "Group texts cover every swap we need.",
        "Paper schedules have never failed this kitchen.",
    ]
    theme = Theme(id="t-2", label="", category="need", objections=[
        Objection(Sentence("c", n, "Buyer", "buyer", 0, 1, text), "need", 0.9)
        for n, text in enumerate(said)
    ])  # fmt: skip
    describe([theme], ThemesConfig())
    assert theme.keywords and "other concerns" not in theme.label


def described(said: list[str], category: str = "price", people: tuple[str, ...] = ()) -> Theme:
    """One theme of these sentences (most typical first), described."""
    from objections.labels import describe

    theme = Theme(id="t-3", label="", category=category, objections=[
        Objection(Sentence(f"c{n}", n, "Buyer", "buyer", 0, 1, text), category, 0.9)
        for n, text in enumerate(said)
    ])  # fmt: skip
    describe([theme], ThemesConfig(), people)
    return theme


def test_a_label_is_what_several_buyers_say_not_one_sentences_fragment() -> None:
    """The most typical sentence holds words nobody else says (an ASR slip); the label comes from
    the wording the members share."""
    theme = described([
        "Okay, he's privy tough on news software, he reads every contract before it gets signed.",
        "Our CFO has to approve any new software contract over fifty thousand.",
        "Anything over budget goes to the CFO, she signs every software contract herself.",
        "The CFO wants to read the software contract before we commit.",
    ], category="authority")  # fmt: skip
    label = theme.label.split(": ", 1)[1].lower()
    assert "privy" not in label and "news" not in label
    assert "software contract" in label


LEADS = ("i ", "we ", "we're ", "it ", "it's ", "they ", "you ", "my ", "our ", "the ", "so ",
         "yeah", "um", "honestly", "basically", "like ", "just ", "on ", "to ")  # fmt: skip
ENDS = ("to", "of", "for", "on", "in", "with", "the", "a", "and", "is", "are", "really", "like")


def test_labels_never_start_with_a_pronoun_or_filler_nor_end_with_a_preposition() -> None:
    for said in (
        ["Honestly, we're on MercuryGate today and it does the job for us.",
         "We're already on MercuryGate at the other two divisions, you know.",
         "I mean, our parent company runs MercuryGate, so switching is hard for us."],
        ["So, um, the per-load fee is way too high for our volume.",
         "Like, the per-load fee adds up fast when we ship small orders to stores.",
         "We'd be paying the per-load fee on every little order, and that's a lot."],
        ["It's just that the export to ADP always breaks on us.",
         "Yeah the export to ADP broke twice last month, which is a mess to fix.",
         "The last vendor's export to ADP dropped the overtime rate for us."],
    ):  # fmt: skip
        theme = described(said, category="competitor")
        label = theme.label.split(": ", 1)[1]
        assert 2 <= len(label.split()) <= 6, label
        assert not label.lower().startswith(LEADS), label
        assert label.lower().split()[-1] not in ENDS, label
        assert not label.endswith(("'", "'s")), label


def test_a_label_holds_no_persons_name_even_one_not_given() -> None:
    """A name said to the rep ("Priya,") or after a title ("Dr. Patel") is never in a label or
    a keyword, though nobody listed it among the people."""
    theme = described([
        "Priya, the partners meeting has to approve any software contract first.",
        "Dr. Patel signs off on every software contract at the partners meeting.",
        "Honestly, Priya, Dr. Patel and the partners meeting decide on software.",
        "The partners meeting only happens once a quarter, and Dr. Patel runs it.",
    ], category="authority")  # fmt: skip
    words = theme.label.lower().replace(":", " ").split()
    assert "priya" not in words and "patel" not in words and "dr" not in words
    assert not any(w in k.split() for k in theme.keywords for w in ("priya", "patel", "dr"))
    assert "partners meeting" in theme.keywords, "the name goes, the rest of the phrase stays"


def test_label_edges_and_shape() -> None:
    from objections.labels import _label_edges_ok

    assert _label_edges_ok(["credit", "card", "tips"])
    assert _label_edges_ok(["already", "on", "MercuryGate"])
    assert _label_edges_ok(["SOC", "2"])
    assert not _label_edges_ok(["on", "scheduling", "software"]), "a preposition first"
    assert not _label_edges_ok(["goes", "to", "the", "partners'"]), "a possessive last"
    assert not _label_edges_ok(["paying", "for", "40"]), "a bare number last"
    assert not _label_edges_ok(["percent", "on", "freight"]), "a unit without its number"
    assert not _label_edges_ok(["MercuryGate", "today"]), "a time adverb last"


def test_a_label_does_not_cut_a_noun_phrase_or_end_on_a_verb() -> None:
    theme = described([
        "Our big Excel board works fine, the carriers know us.",
        "Everyone in the office can see the big Excel board.",
        "Kevin updates the big Excel board every morning and that's it.",
        "If a patient changed insurance, our Excel board just shows it.",
    ], category="need")  # fmt: skip
    label = theme.label.split(": ", 1)[1]
    assert label.lower().endswith("excel board"), label
    assert not label.endswith("changed")


def test_keywords_leave_out_general_words_and_near_forms() -> None:
    from objections.labels import distinct

    assert distinct(["auto-renews", "renewal", "price", "pricing", "notice"], 5) == [
        "auto-renews", "price", "notice"
    ]  # fmt: skip
    theme = described([
        "The auto-renewal means another year every time unless we give notice.",
        "It auto-renews for a year, which means we'd be stuck for another year.",
        "Every year the auto-renewal catches us, the notice window is way too short.",
    ], category="contract")  # fmt: skip
    assert theme.keywords and not {"year", "means", "time"} & set(theme.keywords)
    assert "auto-renewal" in theme.keywords and "auto-renews" not in theme.keywords


def test_quotes_are_diverse_and_stand_alone() -> None:
    from objections.labels import pick_quotes

    said = [
        "The per-seat price is more than we budgeted for this year.",
        "The per-seat price is more than we budgeted for this year, honestly.",
        "Too expensive.",
        "Paying for every part-timer makes it double what we pay today.",
        "Our seasonal staff would cost us a fortune on a per-seat plan.",
    ]
    items = [Objection(Sentence(f"c{n}", n, "Buyer", "buyer", 0, 1, text), "price", 0.9)
             for n, text in enumerate(said)]  # fmt: skip
    quotes = [q.text for q in pick_quotes(items, 3)]
    assert quotes == [said[0], said[3], said[4]]
    assert len(pick_quotes(items, 5)) == 5, "with nothing better left, the rest still count"


def test_names_numbers_and_dates_are_masked_before_embedding() -> None:
    text = "Deputy quoted $4 a head; not before January, or after New Year's Eve on a Monday."
    assert mask_specifics(text, ["Deputy"]) == (
        "a competitor quoted $some a head; not before that month, or after the holidays on"
        " a that day."
    )
    # "May I" asks; Maya and Mayday are not months; "In May we" is one.
    assert mask_specifics("May I ask? Maya said May.", []) == "May I ask? Maya said that month."
    assert mask_specifics("In May we close. May we talk?", []) == (
        "In that month we close. May we talk?"
    )
    # A holiday holding a weekday or a month is still one holiday.
    assert mask_specifics("Not by Black Friday or the Fourth of July.", []) == (
        "Not by the holidays or the holidays."
    )


def with_follow_up(
    text: str, category: str, call: str, turn: int, role: str = "buyer"
) -> tuple[list[Objection], np.ndarray]:
    """Two price concerns of six objections each, and one more objection right after the first
    seat objection in call-0's order (index 1), its vector near no theme."""
    objections, vectors, _ = make({"seats": ("price", 6), "fees": ("price", 6)}, noise=0.05)
    sentence = Sentence(call, 1, role.title(), role, 0.5, 0.9, text, turn=turn)
    objections.append(Objection(sentence, category, 0.9))
    away = -unit(vectors.mean(axis=0, keepdims=True))
    return objections, np.vstack([vectors, away]).astype(np.float32)


def test_an_unplaced_short_follow_up_joins_the_theme_it_continues() -> None:
    """ "That's the only way I'd believe it." is close to no theme by meaning; said right after a
    seat-price objection, in the same turn, it belongs with it."""
    said = "That's the only way I'd believe it."
    objections, vectors = with_follow_up(said, "price", "call-0", 0)
    themes, other = build_themes(objections, vectors, ThemesConfig())
    follow_up, lead = objections[-1], objections[0]
    assert len(themes) == 2 and other == []
    assert follow_up.theme_id == lead.theme_id is not None


def test_a_chain_of_follow_ups_joins_the_theme_of_its_head() -> None:
    objections, vectors = with_follow_up(
        "That's the only way I'd believe it.", "price", "call-0", 0
    )
    chained = Sentence("call-0", 2, "Buyer", "buyer", 1.0, 1.2, "Same with the last one.", turn=1)
    objections.append(Objection(chained, "price", 0.9))
    _, other = build_themes(objections, np.vstack([vectors, vectors[-1:]]), ThemesConfig())
    assert other == []
    assert objections[-1].theme_id == objections[-2].theme_id == objections[0].theme_id


def test_a_follow_up_of_another_call_category_or_length_stays_other() -> None:
    cases = [
        ("That's the only way I'd believe it.", "price", "call-9", 0),  # nothing before it
        ("That's the only way I'd believe it.", "security", "call-0", 0),  # another category
        ("That's the only way I'd believe it.", "price", "call-0", 3),  # turns later
        (" ".join(["word"] * 17), "price", "call-0", 0),  # long enough to stand alone
        ("I hear you, that's fair.", "price", "call-0", 0, "rep"),  # the rep's line
    ]
    for case in cases:
        objections, vectors = with_follow_up(*case)
        _, other = build_themes(objections, vectors, ThemesConfig())
        assert other == [objections[-1]], case


def competitor_theme(texts: list[str], named: list[str], category: str = "competitor") -> Theme:
    """One theme of these buyer sentences; `named`, row-aligned, the competitor each names."""
    objections, vectors, _ = make({"a": (category, len(texts))}, noise=0.02)
    for objection, text, name in zip(objections, texts, named, strict=True):
        objection.sentence.text = text
        objection.competitors = [name] if name else []
    themes, _ = build_themes(objections, vectors, ThemesConfig())
    assert len(themes) == 1
    return themes[0]


LOCK_IN = [
    "We spent two years implementing Chevin FleetWave and we can't just walk away now.",
    "FleetWave has every single report in it, so we can't walk away.",
    "Finance would never let us walk away, FleetWave holds ten years of history.",
    "Honestly, with FleetWave we'd walk away from ten years of data.",
    "To walk away now would mean retraining every department.",
]


def test_a_competitor_theme_is_labelled_with_the_name_its_buyers_say() -> None:
    """ "walk away" is the wording most of them share; without the name it says nothing."""
    named = ["Chevin FleetWave"] * 4 + [""]
    theme = competitor_theme(LOCK_IN, named)
    assert theme.label.startswith("Competitor: ")
    assert "FleetWave" in theme.label
    assert any(theme.label.split(": ", 1)[1].lower() in t.lower() for t in LOCK_IN)
    # Named by under half of them, or in another category: the wording alone decides.
    few = competitor_theme(LOCK_IN, ["Chevin FleetWave", "Chevin FleetWave", "", "", ""])
    assert "walk away" in few.label.lower()
    other = competitor_theme(LOCK_IN, named, category="implementation")
    assert "walk away" in other.label.lower()


def test_a_competitor_theme_with_no_stretch_naming_it_is_labelled_by_the_name() -> None:
    texts = [
        "Samsara, honestly, we like it.",
        "Samsara, we're fine with it.",
        "Samsara, they're cheap and fine.",
        "Samsara, it's working for us.",
    ]
    theme = competitor_theme(texts, ["Samsara"] * 4)
    assert theme.label == "Competitor: Samsara"


def test_a_label_that_starts_with_the_name_keeps_its_capital() -> None:
    texts = [
        "Samsara is cheaper for a fleet our size.",
        "Samsara is cheaper, and the drivers know it.",
        '"Samsara is cheaper," my controller keeps saying.',
        "Samsara is cheaper per truck than you are.",
    ]
    theme = competitor_theme(texts, ["Samsara"] * 4)
    assert theme.label.startswith("Competitor: Samsara"), theme.label


def test_a_label_leaves_out_how_long_ago_and_never_defines_a_word_by_itself() -> None:
    texts = [
        "We put tablets in the shop two years ago and it lasted six weeks.",
        "Tablets in the shop two years ago, the screens got greasy in a day.",
        "The guys in the shop two years ago just quit using the tablets.",
        "Honestly the shop two years ago went right back to paper.",
    ]
    theme = competitor_theme(texts, [""] * 4, category="implementation")
    assert theme.label == "Rollout: tablets in the shop", theme.label
    words = ["a", "third", "of", "my", "slips", "are", "transient", "slips"]
    norm = [_norm(w) for w in words]
    assert _says_itself(norm[4:], "".join(_kind(w) for w in norm[4:]))
    weights = {"slips": 1.0, "transient slips": 2.0, "transient": 1.0}
    found = [text for text, _ in stretches(words, weights, {"slips"}, {}, Wording())]
    assert found and "slips are transient slips" not in found


def test_how_long_ago_is_the_quantity_the_unit_and_ago_only() -> None:
    def said(text: str) -> list[str]:
        norm = [_norm(w) for w in text.split()]
        return [" ".join(norm[a:b]) for a, b in _time_ago(norm)]

    assert said("we put tablets in the shop two years ago") == ["two years ago"]
    assert said("Windows 10 two years ago") == ["two years ago"]  # the 10 is the product's
    assert said("version two a few weeks ago") == ["a few weeks ago"]
    assert said("a couple of years ago it broke") == ["a couple of years ago"]
    assert said("a year ago") == ["a year ago"] and said("years ago") == ["years ago"]
    assert said("ago") == [] and said("a while ago") == [] and said("two years") == []
