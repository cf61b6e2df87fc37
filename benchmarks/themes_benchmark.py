"""Theme stage vs BERTopic, side by side in one process, then the 50,000-sentence timing.

1. On the gold objection sentences of each labelled set (../shared/devset/shiftwise and the two
   held-out sets in evalsets/ by default), with the same MiniLM embeddings the pipeline uses
   (names and numbers masked, as `objections eval` does):
     - ours, gold categories: `build_themes` with each sentence's labelled category;
     - ours, predicted categories: the categories `ClassifierDetector` gives the sentences;
     - BERTopic with its defaults (UMAP seeded, so runs repeat), `embeddings=` the same vectors;
     - BERTopic with min_topic_size=5;
   printing ARI and NMI against the gold themes, outlier share, themes found vs gold, fit time.
2. A synthetic workload of N objection sentences (default 50,000): the labelled sentences of the
   three sets and the buyer objections of the shipped training corpus, resampled with word-level
   variation (fillers in and out, a few synonyms, lead-ins and tails, words dropped) and other
   competitor names. Embedded once (cached as .npy under /tmp; the embedding time is printed
   apart), then `build_themes` (categories given) is timed end to end; then both, ours and
   BERTopic's fit, on the same first --bertopic-n sentences (default: all of them; BERTopic's
   fit on 50,000 took 74 s on the 2-core machine).

Targets (issue 4): ARI >= 0.80 on the devset and above BERTopic's defaults; the theme stage at
least 5x faster than BERTopic's fit on the same sentences; 50,000 sentences in under 60 s.

    .venv/bin/python benchmarks/themes_benchmark.py [SET...] [--n 50000] [--bertopic-n N]
        [--skip-scale] [--skip-bertopic] [--json]

Needs the bench extra (`pip install -e .[bench]`) for BERTopic.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# Before BERTopic imports transformers: offline and quiet, as the product runs.
for _name, _value in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                      ("TRANSFORMERS_VERBOSITY", "error")):  # fmt: skip
    os.environ.setdefault(_name, _value)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETS = [ROOT.parent / "shared" / "devset" / "shiftwise",
                ROOT / "evalsets" / "clinicflow", ROOT / "evalsets" / "freightpilot"]  # fmt: skip
DATA = ROOT / "src" / "objections" / "data"
CACHE = Path(os.environ.get("TMPDIR", "/tmp"))

FILLERS = ["um,", "uh,", "you know,", "like,", "honestly,", "I mean,", "basically,", "kind of"]
LEADS = ["", "", "", "Yeah, ", "So, ", "Honestly, ", "Look, ", "Well, ", "Okay, but ", "Right, "]
TAILS = ["", "", "", "you know", "to be honest", "for us", "right now", "if I'm being honest"]
SYNONYMS = {"expensive": "pricey", "worried": "concerned", "team": "staff", "big": "huge",
            "boss": "manager", "really": "very", "hard": "tough", "problem": "issue",
            "cost": "price", "money": "budget", "people": "folks", "company": "business",
            "contract": "agreement", "switch": "move", "setup": "set-up",
            "months": "month"}  # fmt: skip
OTHER_NAMES = ["Zenroster", "Pillarpoint", "Crewly", "Shiftbase", "Ledgerix", "Norvane",
               "Quillhaus", "Tallyforge", "Brightpath", "Corvana", "Helixa",
               "Ostrava Cloud"]  # fmt: skip


# --- data ---------------------------------------------------------------------------------------


class Labelled:
    """Gold objection sentences of one labelled set."""

    def __init__(self, root: Path) -> None:
        from objections.evaluate import gold_sentences, load_gold

        self.root = root
        self.gold = load_gold(root)
        items = [g for path in self.gold.calls for g in gold_sentences(path) if g.theme]
        self.texts = [g.text for g in items]
        self.calls = [g.call_id for g in items]
        self.categories = [str(g.category) for g in items]
        self.themes = [str(g.theme) for g in items]
        self.turns = [g.turn for g in items]
        self.items = items
        self.competitors = self.gold.company.competitors


def masked(texts: list[str], names: list[str]) -> list[str]:
    from objections.embed import mask_specifics

    return [mask_specifics(t, names) for t in texts]


def objections_for(
    texts: list[str],
    calls: list[str],
    categories: list[str],
    names: list[str],
    exact_names: bool = False,
    turns: list[int] | None = None,
) -> list[Any]:
    """Objections as the pipeline makes them, competitors named included. `exact_names` finds
    only the names as written (the synthetic workload spells them right), which is much faster
    than the detector's search for ASR misspellings. `turns`: each one's buyer turn; without
    them no objection continues another (the synthetic rows of a "call" are no conversation)."""
    from objections.competitors import find_competitors
    from objections.models import Objection, Sentence

    spelled = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    out = []
    for n, (text, call, category) in enumerate(zip(texts, calls, categories, strict=True)):
        turn = turns[n] if turns is not None else 2 * n
        sentence = Sentence(call, n, "Buyer", "buyer", 0.0, 0.0, text, turn=turn)
        objection = Objection(sentence, category, 1.0)
        objection.competitors = (
            list(dict.fromkeys(spelled.findall(text)))
            if exact_names
            else find_competitors(text, names)
        )
        out.append(objection)
    return out


class Clock:
    """Wall and CPU seconds of a block (CPU time of all this process's threads: on a shared
    machine the wall time also counts other people's work)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s ({self.cpu:.2f} s CPU)"


# --- methods ------------------------------------------------------------------------------------


def ours(objections: list[Any], vectors: np.ndarray) -> tuple[list[str], int, Clock]:
    """Labels per sentence ("" for other), themes found, time taken."""
    labels, themes, clock = ours_themes(objections, vectors)
    return labels, len(themes), clock


def ours_themes(objections: list[Any], vectors: np.ndarray) -> tuple[list[str], list[Any], Clock]:
    from objections.config import ThemesConfig
    from objections.themes import build_themes

    with Clock() as clock:
        themes, _ = build_themes(objections, vectors, ThemesConfig())
    return [o.theme_id or "" for o in objections], themes, clock


def bertopic(texts: list[str], vectors: np.ndarray, **options: Any) -> tuple[list[str], int, Clock]:
    """BERTopic's defaults, with UMAP given its default settings plus a seed so runs repeat."""
    from bertopic import BERTopic
    from umap import UMAP

    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42)
    with Clock() as clock:
        topics, _ = BERTopic(umap_model=umap, **options).fit_transform(texts, embeddings=vectors)
    labels = ["" if t == -1 else str(t) for t in topics]
    return labels, len(set(topics) - {-1}), clock


def scores(truth: list[str], labels: list[str]) -> dict[str, float]:
    """ARI/NMI with each outlier its own singleton (as `objections eval` counts them)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = [lab or f"other-{n}" for n, lab in enumerate(labels)]
    outliers = sum(lab.startswith("other-") for lab in labels) / max(1, len(labels))
    return {"ari": round(float(adjusted_rand_score(truth, labels)), 3),
            "nmi": round(float(normalized_mutual_info_score(truth, labels)), 3),
            "outliers": round(outliers, 3)}  # fmt: skip


def warm_up(skip_bertopic: bool) -> None:
    """Import and JIT-compile (UMAP's numba) before anything is timed."""
    import hdbscan  # noqa: F401

    if not skip_bertopic:
        rng = np.random.default_rng(0)
        vectors = rng.normal(size=(200, 16)).astype(np.float32)
        bertopic([f"warm up text {i % 7} number {i}" for i in range(200)], vectors)


def content_words(text: str) -> set[str]:
    from objections.labels import stop_words

    words = re.findall(r"[a-z0-9]+", text.lower())
    return {w.rstrip("s") for w in words if w not in stop_words() and len(w) > 1}


def label_rows(data: Labelled, themes: list[Any]) -> list[dict[str, Any]]:
    """Each theme's label now and the keyword label it had before, with the share of their
    words found in the gold theme it mostly holds (its id and description)."""
    from objections.labels import keyword_label

    gold_of = {text: theme for text, theme in zip(data.texts, data.themes, strict=True)}
    rows = []
    for theme in themes:
        gold = Counter(gold_of[o.sentence.text] for o in theme.objections).most_common(1)[0][0]
        meta = data.gold.themes.get(gold, {})
        reference = content_words(gold.replace("-", " ") + " " + meta.get("description", ""))
        before = keyword_label(theme).split(": ", 1)[-1]  # the category prefix is not the theme
        row = {"gold": gold, "before": keyword_label(theme), "after": theme.label}
        after = theme.label.split(": ", 1)[-1]
        for key, text in (("before_hit", before), ("after_hit", after)):
            words = content_words(text)
            row[key] = round(len(words & reference) / max(1, len(words)), 3)
        rows.append(row)
    return rows


# --- 1. labelled sets ---------------------------------------------------------------------------


def labelled_rows(root: Path, embedder: Any, skip_bertopic: bool) -> list[dict[str, Any]]:
    from objections.detect import ClassifierDetector, cache_dir, category_training, load_corpus
    from objections.encoder import TunedEncoder
    from objections.evaluate import categorised

    data = Labelled(root)
    embed = embedder.embed
    raw = embed(data.texts)
    vectors = embed(masked(data.texts, data.competitors))
    # The product's category model: its own vectors from the encoder tuned on the corpus.
    corpus = load_corpus()
    tuned = TunedEncoder(embedder, category_training(corpus), cache_dir())
    detector = ClassifierDetector(
        embed, embedder.id, competitors=data.competitors, corpus=corpus,
        category=(tuned.embed, tuned.id),
    )  # fmt: skip
    # As `objections eval` and the pipeline categorise them.
    predicted = [o.category for o in categorised(detector, data.items, raw, data.competitors)]
    accuracy = np.mean([p == g for p, g in zip(predicted, data.categories, strict=True)])
    runs: dict[str, Callable[[], tuple[list[str], int, Clock]]] = {
        "ours, gold categories": lambda: ours(
            objections_for(
                data.texts, data.calls, data.categories, data.competitors, turns=data.turns
            ),
            vectors,
        ),
        f"ours, predicted categories (acc {accuracy:.2f})": lambda: ours(
            objections_for(data.texts, data.calls, predicted, data.competitors, turns=data.turns),
            vectors,
        ),
    }
    if not skip_bertopic:
        runs["BERTopic defaults"] = lambda: bertopic(data.texts, vectors)
        runs["BERTopic min_topic_size=5"] = lambda: bertopic(data.texts, vectors, min_topic_size=5)
    rows = []
    for method, run in runs.items():
        labels, found, clock = run()
        rows.append({
            "set": root.name, "sentences": len(data.texts), "method": method,
            **scores(data.themes, labels), "themes": found, "gold_themes": len(set(data.themes)),
            "seconds": round(clock.wall, 3), "cpu_seconds": round(clock.cpu, 3),
        })  # fmt: skip
    _, themes, _ = ours_themes(
        objections_for(data.texts, data.calls, data.categories, data.competitors, turns=data.turns),
        vectors,
    )
    rows[0]["labels"] = label_rows(data, themes)
    return rows


# --- 2. the synthetic scale workload ------------------------------------------------------------


def seeds(sets: list[Labelled]) -> list[dict[str, str]]:
    """Sentences to vary: the labelled ones (with their gold theme) and the training corpus's
    buyer objections (category only)."""
    rows = [{"text": t, "category": c, "theme": f"{s.root.name}/{th}", "company": s.root.name}
            for s in sets
            for t, c, th in zip(s.texts, s.categories, s.themes, strict=True)]  # fmt: skip
    for path in sorted(DATA.glob("training_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("role") == "buyer" and row.get("category"):
                rows.append({"text": row["text"], "category": row["category"], "theme": "",
                             "company": row["company"]})  # fmt: skip
    return rows


def vary(text: str, names: list[str], rng: random.Random) -> str:
    """The same concern in other words: fillers, synonyms, a dropped word, a lead-in, a tail,
    other competitor names."""
    for name in names:
        if name and rng.random() < 0.7:
            text = re.sub(rf"\b{re.escape(name)}\b", rng.choice(OTHER_NAMES), text)
    words = text.split()
    out = []
    for i, word in enumerate(words):
        bare = word.lower().strip(",.?!")
        if bare in SYNONYMS and rng.random() < 0.5:
            word = word.lower().replace(bare, SYNONYMS[bare])
        if i and rng.random() < 0.04:
            continue  # a word swallowed
        if i and rng.random() < 0.05:
            out.append(rng.choice(FILLERS))
        out.append(word)
    text = " ".join(out)
    lead, tail = rng.choice(LEADS), rng.choice(TAILS)
    if lead and text[:1].isupper() and not text.startswith(("I ", "I'")):
        text = text[0].lower() + text[1:]
    if tail:
        text = re.sub(r"[.!?]*$", f", {tail}.", text, count=1)
    return lead + text


def workload(sets: list[Labelled], n: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    names = sorted({c for s in sets for c in s.competitors})
    pool = seeds(sets)
    rows = []
    for k in range(n):
        row = dict(rng.choice(pool))
        row["text"] = vary(row["text"], names, rng)
        row["call"] = f"SYN-{k // 5:05d}"  # about five objections a call
        rows.append(row)
    return rows


def cached_vectors(texts: list[str], embed: Callable[[list[str]], np.ndarray]
                   ) -> tuple[np.ndarray, float | None]:  # fmt: skip
    """Embeddings from /tmp when these exact texts were embedded before; else embedded now."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"objections-themes-bench-{digest}.npy"
    if path.is_file():
        return np.load(path), None
    with Clock() as clock:
        vectors = embed(texts)
    np.save(path, vectors)
    return vectors, clock.wall


def per_set_ari(sets: list[Labelled], rows: list[dict[str, str]], labels: list[str]
                ) -> dict[str, float]:  # fmt: skip
    """ARI on one labelled set's sentences at a time: a tool serves one company, so merging
    two companies' price themes (the workload mixes them) is not counted against it."""
    out = {}
    for s in sets:
        idx = [i for i, r in enumerate(rows) if r["theme"] and r["company"] == s.root.name]
        out[s.root.name] = scores([rows[i]["theme"] for i in idx], [labels[i] for i in idx])["ari"]
    return out


def scale_rows(sets: list[Labelled], embed: Callable[[list[str]], np.ndarray], n: int,
               bertopic_n: int, skip_bertopic: bool) -> dict[str, Any]:  # fmt: skip
    rows = workload(sets, n)
    names = sorted({c for s in sets for c in s.competitors} | set(OTHER_NAMES))
    texts = [r["text"] for r in rows]
    vectors, embed_seconds = cached_vectors(masked(texts, names), embed)
    calls, categories = [r["call"] for r in rows], [r["category"] for r in rows]
    objections = objections_for(texts, calls, categories, names, exact_names=True)
    labels, found, clock = ours(objections, vectors)
    gold = [i for i, r in enumerate(rows) if r["theme"]]
    result: dict[str, Any] = {
        "sentences": n, "distinct_texts": len(set(texts)),
        "embed_seconds": None if embed_seconds is None else round(embed_seconds, 1),
        "ours": {"seconds": round(clock.wall, 2), "cpu_seconds": round(clock.cpu, 2),
                 "themes": found,
                 "other": round(labels.count("") / n, 3),
                 "largest_theme_share": round(max(labels.count(x) for x in set(labels) - {""})
                                              / n, 3) if found else 0.0,
                 **{f"labelled_{k}": v for k, v in scores([rows[i]["theme"] for i in gold],
                                                          [labels[i] for i in gold]).items()},
                 "labelled_ari_per_set": per_set_ari(sets, rows, labels)},
    }  # fmt: skip
    if not skip_bertopic:
        m = min(n, bertopic_n)
        part = objections_for(texts[:m], calls[:m], categories[:m], names, exact_names=True)
        _, ours_found, ours_clock = ours(part, vectors[:m])
        _, bt_found, bt_clock = bertopic(texts[:m], vectors[:m])
        result["same_sentences"] = {
            "sentences": m, "ours_seconds": round(ours_clock.wall, 2),
            "ours_cpu_seconds": round(ours_clock.cpu, 2), "ours_themes": ours_found,
            "bertopic_seconds": round(bt_clock.wall, 2),
            "bertopic_cpu_seconds": round(bt_clock.cpu, 2), "bertopic_topics": bt_found,
            "speedup": round(bt_clock.wall / max(1e-9, ours_clock.wall), 1),
            "cpu_speedup": round(bt_clock.cpu / max(1e-9, ours_clock.cpu), 1),
        }  # fmt: skip
    return result


# --- report -------------------------------------------------------------------------------------


def print_report(report: dict[str, Any]) -> None:
    print(f"machine: {report['machine']}")
    print(f"\n{'set':<13} {'method':<38} {'ARI':>6} {'NMI':>6} {'outl.':>6} "
          f"{'themes/gold':>11} {'fit s':>7} {'CPU s':>7}")  # fmt: skip
    for r in report["labelled"]:
        print(
            f"{r['set']:<13} {r['method']:<38} {r['ari']:>6.3f} {r['nmi']:>6.3f} "
            f"{r['outliers']:>6.0%} {r['themes']:>5}/{r['gold_themes']:<5} {r['seconds']:>7.3f} "
            f"{r['cpu_seconds']:>7.3f}"
        )
    labels = [x for r in report["labelled"] for x in r.get("labels", [])]
    if labels:
        before = np.mean([x["before_hit"] for x in labels])
        after = np.mean([x["after_hit"] for x in labels])
        print(f"\nlabels (gold categories, {len(labels)} themes): share of label words found in "
              f"the gold theme's id and description: keyword labels {before:.2f}, "
              f"phrase labels {after:.2f}")  # fmt: skip
        for x in labels:
            print(f"  {x['gold']:<30} {x['before'][:40]:<40} -> {x['after']}")
    scale = report.get("scale")
    if not scale:
        return
    o = scale["ours"]
    embedded = ("cached" if scale["embed_seconds"] is None
                else f"{scale['embed_seconds']} s")  # fmt: skip
    print(f"\nscale: {scale['sentences']} sentences ({scale['distinct_texts']} distinct), "
          f"embedding {embedded}")  # fmt: skip
    print(f"  ours: {o['seconds']} s ({o['cpu_seconds']} s CPU), {o['themes']} themes, "
          f"{o['other']:.1%} other, largest "
          f"theme {o['largest_theme_share']:.1%}; on the labelled-derived sentences ARI "
          f"{o['labelled_ari']:.3f} NMI {o['labelled_nmi']:.3f}; ARI set by set "
          f"{o['labelled_ari_per_set']}")  # fmt: skip
    same = scale.get("same_sentences")
    if same:
        print(f"  same {same['sentences']} sentences: ours {same['ours_seconds']} s "
              f"({same['ours_cpu_seconds']} s CPU, {same['ours_themes']} themes), BERTopic fit "
              f"{same['bertopic_seconds']} s ({same['bertopic_cpu_seconds']} s CPU, "
              f"{same['bertopic_topics']} topics): {same['speedup']}x faster "
              f"({same['cpu_speedup']}x in CPU time)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--n", type=int, default=50_000, help="sentences in the scale workload")
    parser.add_argument("--bertopic-n", type=int, default=50_000,
                        help="fit BERTopic on the first N of the scale workload")  # fmt: skip
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    from objections.config import EmbedConfig
    from objections.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(EmbedConfig())
    warm_up(args.skip_bertopic)
    report: dict[str, Any] = {"machine": {"cores": os.cpu_count(),
                                          "load_average": [round(x, 2) for x in os.getloadavg()]},
                              "labelled": []}  # fmt: skip
    for root in args.sets:
        report["labelled"].extend(labelled_rows(root, embedder, args.skip_bertopic))
    if not args.skip_scale:
        sets = [Labelled(root) for root in args.sets]
        report["scale"] = scale_rows(
            sets, embedder.embed, args.n, args.bertopic_n, args.skip_bertopic
        )
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
