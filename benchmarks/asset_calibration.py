"""Calibrate the asset coverage decision on every labelled set, leave-one-set-out.

For each gold theme of each set (its labelled objection sentences, the set's asset library and
the gold `asset`, null for a gap) this computes what `assets.features` gives the tool: the best
asset's score (mean best-passage similarity), its lead over the runner-up, the topic similarity
(theme centroid against the mean of the asset's passage vectors), the share of buyer sentences
that no passage answers, the passage-level maximum, keyword overlap and the share of buyer
sentences that name what the asset's title names. Each candidate rule says "gap" below a
threshold; the threshold is fitted on all sets but one and tested on the one left out, so no set
grades thresholds fitted on itself. A rule "or named" also keeps an asset whose title names what
at least half the buyers name (`[assets] named`, a fixed majority, never fitted). Per-set top-1
(best asset is the gold one and not called a gap) and gap accuracy are printed for each rule,
then the thresholds each rule gets when fitted on every set.

    python benchmarks/asset_calibration.py [--themes] [SET ...]

A SET is a devset-format folder (calls/, themes.json, assets/) or scripts/recordings_source
(calls.json, themes.json; its assets are recordings/assets). Embeddings are cached in the store
given by --db, so a second run takes seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from objections import assets as assets_stage  # noqa: E402
from objections.config import AssetsConfig, Config  # noqa: E402
from objections.detect import KeywordDetector  # noqa: E402
from objections.evaluate import gold_sentences  # noqa: E402
from objections.pipeline import Components, Pipeline  # noqa: E402
from objections.store import Store  # noqa: E402

DEFAULT_SETS = [
    ROOT.parent / "shared" / "devset" / "shiftwise",
    ROOT / "evalsets" / "clinicflow",
    ROOT / "evalsets" / "freightpilot",
    ROOT / "evalsets" / "donorpath",
    ROOT / "evalsets" / "staybright",
    ROOT / "evalsets" / "casedock",
    ROOT / "evalsets" / "fleethaven",
    ROOT / "scripts" / "recordings_source",
]
WORD = re.compile(r"[a-z][a-z-]{3,}")


@dataclass
class Row:
    """One gold theme and what the tool measures for it."""

    set: str
    theme: str
    gold: str | None  # the asset that answers it; None for a gap
    top: str  # the tool's best asset
    f: dict[str, float]
    answered: np.ndarray  # each buyer sentence's best passage similarity in the best asset
    coverage: str  # what the shipped rule (`assets.decide_coverage`) says

    @property
    def mapped(self) -> bool:
        return self.gold is not None


def members_by_theme(folder: Path) -> dict[str, list[str]]:
    """The gold objection sentences of each theme."""
    out: dict[str, list[str]] = {}
    if (folder / "calls.json").is_file():  # scripts/recordings_source: one labelled turn each
        for call in json.loads((folder / "calls.json").read_text()):
            for turn in call["turns"]:
                if turn.get("label"):
                    out.setdefault(turn["label"]["theme"], []).append(turn["text"])
        return out
    for path in sorted((folder / "calls").glob("*.json")):
        for g in gold_sentences(path):
            if g.theme and g.role == "buyer":
                out.setdefault(g.theme, []).append(g.text)
    return out


def asset_folder(folder: Path) -> Path:
    if (folder / "assets").is_dir():
        return folder / "assets"
    return ROOT / "recordings" / "assets"  # the bundled recordings' library


def keyword_overlap(texts: list[str], asset_text: str) -> float:
    """Share of the words two or more buyers used that the asset also uses."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in set(WORD.findall(text.lower())):
            counts[word] = counts.get(word, 0) + 1
    shared = [w for w, c in counts.items() if c >= 2]
    words = set(WORD.findall(asset_text.lower()))
    return sum(w in words for w in shared) / len(shared) if shared else 0.0


def measure(folder: Path, pipeline: Pipeline, config: AssetsConfig) -> list[Row]:
    gold = json.loads((folder / "themes.json").read_text())
    library = assets_stage.load_assets(asset_folder(folder))
    index = assets_stage.AssetIndex(library, pipeline.embed)
    rows = []
    for theme_id, texts in members_by_theme(folder).items():
        vectors = pipeline.embed(texts)
        found = assets_stage.features(vectors, index, texts, config)
        top = library[found.top]
        rows.append(
            Row(
                folder.name,
                theme_id,
                gold.get(theme_id, {}).get("asset"),
                top.id,
                {
                    "best": found.best,
                    "lead": found.lead,
                    "today": found.best + 2 * found.lead,
                    "topic": found.topic,
                    "unanswered": assets_stage.unanswered_share(found, config),
                    "passage_max": float(found.answered.max()),
                    "keywords": keyword_overlap(texts, top.text),
                    "named": found.named,
                    # 0 when no asset may answer by its type (`named_only`): a gap by any rule
                    "answerable": float(found.answerable),
                },
                found.answered,
                assets_stage.decide_coverage(found, config),
            )
        )
    return rows


# A rule: the features it reads, "gap" when any of them is below its threshold; and whether
# an asset whose title names what most buyers name is kept anyway ("or named").
RULES: dict[str, tuple[list[str], bool]] = {
    "today: best + 2*lead": (["today"], False),
    "best": (["best"], False),
    "topic": (["topic"], False),
    "topic, or named": (["topic"], True),
    "topic and best + 2*lead": (["topic", "today"], False),
    "topic and best": (["topic", "best"], False),
}
NAMED = AssetsConfig().named


def correct(row: Row, gap: bool) -> bool:
    return (not gap and row.top == row.gold) if row.mapped else gap


def is_gap(row: Row, feats: list[str], thresholds: tuple[float, ...], named: bool) -> bool:
    """Every rule is fitted on the asset the product judges (a blog post only when named)."""
    if not row.f["answerable"]:
        return True
    if named and row.f["named"] >= NAMED:
        return False
    return any(row.f[k] < t for k, t in zip(feats, thresholds, strict=True))


def candidates(rows: list[Row], feature: str) -> list[float]:
    """Midpoints between neighbouring values: every distinct way to split the rows."""
    values = sorted({r.f[feature] for r in rows})
    return [(a + b) / 2 for a, b in itertools.pairwise(values)] or values


def margin(rows: list[Row], feats: list[str], thresholds: tuple[float, ...]) -> float:
    """How far the closest row lies from a threshold: ties go to the widest split."""
    return min(min(abs(r.f[k] - t) for r in rows) for k, t in zip(feats, thresholds, strict=True))


def fit(rows: list[Row], feats: list[str], named: bool) -> tuple[float, ...]:
    grid = itertools.product(*(candidates(rows, k) for k in feats))

    def key(th: tuple[float, ...]) -> tuple[int, float]:
        right = sum(correct(r, is_gap(r, feats, th, named)) for r in rows)
        return right, margin(rows, feats, th)

    return max(grid, key=key)


def scores(rows: list[Row], decide: Callable[[Row], bool]) -> tuple[float, float, int]:
    mapped = [r for r in rows if r.mapped]
    gaps = [r for r in rows if not r.mapped]
    top1 = sum(correct(r, decide(r)) for r in mapped) / max(1, len(mapped))
    gap = sum(correct(r, decide(r)) for r in gaps) / max(1, len(gaps))
    return top1, gap, sum(correct(r, decide(r)) for r in rows)


def leave_one_set_out(rows: list[Row], sets: list[str]) -> None:
    print("\nleave-one-set-out: thresholds fitted on the other sets, tested on the one named")
    header = "".join(f"{s[:12]:>20}" for s in sets)
    print(f"{'rule':26}{header}{'all themes':>14}")
    print(f"{'':26}" + "".join(f"{'top-1  gaps':>20}" for _ in sets))
    for name, (feats, named) in RULES.items():
        cells, right = [], 0
        for held in sets:
            train = [r for r in rows if r.set != held]
            test = [r for r in rows if r.set == held]
            th = fit(train, feats, named)
            top1, gap, n = scores(
                test, lambda r, th=th, feats=feats, named=named: is_gap(r, feats, th, named)
            )
            cells.append(f"{top1:>13.3f} {gap:.3f}")
            right += n
        print(f"{name:26}{''.join(cells)}{right:>9}/{len(rows)}")


def fitted_on_all(rows: list[Row], sets: list[str], config: AssetsConfig) -> None:
    print("\nfitted on every set (in-sample), and the shipped rules")
    shipped = {
        "shipped before: best+2*lead >= 0.50": lambda r: r.f["today"] < 0.50,
        f"topic >= {config.on_topic}": lambda r: r.f["topic"] < config.on_topic,
        f"shipped now: topic >= {config.on_topic}, or named, by type": lambda r: (
            r.coverage == "gap"
        ),
    }
    for name, (feats, named) in RULES.items():
        th = fit(rows, feats, named)
        label = f"{name} >= " + ", ".join(f"{t:.3f}" for t in th)
        shipped[label] = lambda r, th=th, feats=feats, named=named: is_gap(r, feats, th, named)
    for label, decide in shipped.items():
        per_set = [scores([r for r in rows if r.set == s], decide) for s in sets]
        cells = "".join(f"{t:>13.3f} {g:.3f}" for t, g, _ in per_set)
        right = scores(rows, decide)[2]
        print(f"{label[:48]:48}{cells}{right:>9}/{len(rows)}")


def print_themes(rows: list[Row], config: AssetsConfig) -> None:
    print(f"\n{'set':13}{'theme':30}{'gold':8}{'best asset':28}", end="")
    names = list(rows[0].f)
    print("".join(f"{n[:10]:>11}" for n in names), " decision now")
    for r in sorted(rows, key=lambda r: (r.set, r.mapped)):
        gold = "asset" if r.mapped else "gap"
        if r.mapped and r.top != r.gold:
            gold = "OTHER"
        cells = "".join(f"{r.f[n]:>11.3f}" for n in names)
        print(f"{r.set[:12]:13}{r.theme[:29]:30}{gold:8}{r.top[:27]:28}{cells}  {r.coverage}")


def answered_threshold(rows: list[Row], config: AssetsConfig) -> None:
    """Sentence level: a buyer sentence of a theme its best asset answers (gold) against one of
    a gap theme, by its best passage similarity in that asset. The threshold with the best
    balanced accuracy is where "answered" sits; partial then counts the sentences below it."""
    yes = np.concatenate([r.answered for r in rows if r.mapped and r.top == r.gold])
    no = np.concatenate([r.answered for r in rows if not r.mapped])
    grid = np.arange(0.30, 0.70, 0.01)
    balanced = [(np.mean(yes >= t) + np.mean(no < t)) / 2 for t in grid]
    best = float(grid[int(np.argmax(balanced))])
    print(f"\nanswered: {len(yes)} sentences of answered themes, {len(no)} of gaps; best split at")
    print(f"  {best:.2f} (balanced accuracy {max(balanced):.3f}); shipped [assets] answered =")
    shipped = (np.mean(yes >= config.answered) + np.mean(no < config.answered)) / 2
    print(f"  {config.answered} (balanced accuracy {shipped:.3f})")
    on_topic = [r for r in rows if r.coverage != "gap"]
    partial = [r for r in on_topic if r.coverage == "partial"]
    print(f"  partial (over {config.unanswered_share:.0%} unanswered): {len(partial)} of the")
    print(f"  {len(on_topic)} themes on topic: " + ", ".join(r.theme for r in partial))
    gaps = [r for r in rows if not r.mapped]
    briefed = sum(r in partial or r not in on_topic for r in gaps)
    print(f"  gold gaps that get a brief (gap or partial): {briefed}/{len(gaps)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--themes", action="store_true", help="print every theme's features")
    parser.add_argument("--db", type=Path, default=Path(".objections/calibration.db"))
    args = parser.parse_args()
    config = Config()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    # Only the embedder runs: the keyword detector spares loading the detector's corpus.
    pipeline = Pipeline(config, Store(args.db), Components(detector=KeywordDetector()))
    rows = [row for folder in args.sets for row in measure(folder, pipeline, config.assets)]
    sets = list(dict.fromkeys(r.set for r in rows))
    print(
        f"{len(rows)} gold themes ({sum(r.mapped for r in rows)} with an asset) in {len(sets)} sets"
    )
    if args.themes:
        print_themes(rows, config.assets)
    leave_one_set_out(rows, sets)
    fitted_on_all(rows, sets, config.assets)
    answered_threshold(rows, config.assets)


if __name__ == "__main__":
    main()
