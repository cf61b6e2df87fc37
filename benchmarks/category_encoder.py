"""Category accuracy: the stock sentence encoder vs the tuned one (objections.encoder) inside
the product's full category features.

Two arms, the same features as detect.ClassifierDetector's category model (sentence vector,
context vector, cue counts, named-competitor flag; competitor names masked), the same logistic
regression: (a) the sentence vector from stock all-MiniLM-L6-v2 ([detect] category_model =
"stock"), (b) from MiniLM tuned by objections.encoder on the training corpus's masked objections
(the default, "tuned"). Training data: only the shipped corpus; the category-only calls
(data/category_calls) are in every fold's training, never tested on.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/category_encoder.py [--cv] [--folds N]
        [--seed N] [--recipe KEY=VALUE ...]

Without --cv: fit on the whole corpus, report on the gold objection sentences of the devset and
the evalsets (about a minute of tuning). With --cv: leave one call industry out (one tuning per
industry in the corpus), or with --folds N, N folds of whole industries (every N-th industry in
name order; faster, for comparing recipes). --recipe overrides a key of encoder.RECIPE.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

import objections.detect as detect
from objections import encoder as encoder_stage
from objections.competitors import mask_competitors
from objections.config import EmbedConfig
from objections.embed import SentenceTransformerEmbedder

ROOT = Path(__file__).resolve().parents[1]
EVALSETS = sorted(p for p in (ROOT / "evalsets").iterdir() if (p / "calls").is_dir())
SETS = [ROOT.parent / "shared/devset/shiftwise", *EVALSETS]
DIM = 384


class Features:
    def __init__(self) -> None:
        self.stock = SentenceTransformerEmbedder(EmbedConfig())
        self.cache: dict[str, np.ndarray] = {}
        self.detector = detect.ClassifierDetector(self.embed, "bench")

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.stock.embed(missing), strict=True))
        if not texts:
            return np.zeros((0, DIM), np.float32)
        return np.stack([self.cache[t] for t in texts])

    def __call__(self, examples: list[detect.Example], arm: str, encoder: Any) -> np.ndarray:
        """The category features of an arm: "stock", "tuned" (the tuned vector in place of the
        stock one: the product) or "both" (the tuned vector added beside the stock one)."""
        texts = [e.text for e in examples]
        x = self.detector.features(texts, [e.context for e in examples], self.embed(texts))
        out = self.detector.category_features(x, texts, [e.competitors for e in examples])
        if arm == "stock":
            return out
        masked = [mask_competitors(e.text, e.competitors) for e in examples]
        tuned = encoder.embed(masked)
        if arm == "both":
            return np.hstack([tuned, out])
        out[:, :DIM] = tuned
        return out


ARMS = ("stock", "tuned", "both")


def objections_of(examples: list[detect.Example]) -> list[detect.Example]:
    return [e for e in examples if e.role != "rep" and e.category]


Scores = dict[str, dict[str, float]]  # set -> arm -> accuracy, and "n"


def accuracies(
    train: list[detect.Example],
    tests: dict[str, list[detect.Example]],
    features: Features,
) -> Scores:
    from sklearn.linear_model import LogisticRegression

    with tempfile.TemporaryDirectory() as cache:
        encoder = encoder_stage.TunedEncoder(
            features.stock, detect.category_training(train), Path(cache)
        )
        encoder.embed(["tune now"])  # trains
        labels, weights = [e.category for e in train], np.array([e.weight for e in train])
        out: Scores = {key: {"n": len(examples)} for key, examples in tests.items()}
        for arm in ARMS:
            head = LogisticRegression(C=detect.CATEGORY_C, max_iter=3000)
            head.fit(features(train, arm, encoder), labels, sample_weight=weights)
            for key, examples in tests.items():
                gold = np.array([e.category for e in examples])
                predicted = head.predict(features(examples, arm, encoder))
                out[key][arm] = float(np.mean(predicted == gold))
    return out


def show(key: str, scores: dict[str, float]) -> str:
    arms = "  ".join(f"{arm} {scores[arm]:.3f}" for arm in ARMS)
    return f"  {key:<14} n={int(scores['n']):>3}  {arms}"


def call_examples(folder: Path) -> list[detect.Example]:
    paths = [
        p for p in sorted(folder.glob("*.json")) if p.name not in ("company.json", "themes.json")
    ]
    return [e for p in paths for e in detect._call_examples(p)]


def labelled_set(root: Path) -> list[detect.Example]:
    names = tuple(json.loads((root / "company.json").read_text())["competitors"])
    examples = [e for p in sorted((root / "calls").glob("*.json"))
                for e in detect._call_examples(p)]  # fmt: skip
    for e in examples:
        e.competitors = names
    return objections_of(examples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="leave one call industry out")
    parser.add_argument("--folds", type=int, default=0, help="N folds of whole industries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--recipe", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    encoder_stage.RECIPE["seed"] = args.seed
    for item in args.recipe:
        key, _, value = item.partition("=")
        if key not in encoder_stage.RECIPE:
            parser.error(f"--recipe: no key {key!r} (keys: {', '.join(encoder_stage.RECIPE)})")
        encoder_stage.RECIPE[key] = float(value)
    print(f"recipe: {encoder_stage.RECIPE}", flush=True)
    features = Features()
    sentences = objections_of([e for p in sorted(detect.DATA.glob("*.jsonl"))
                               for e in detect._sentence_examples(p)])  # fmt: skip
    calls = {folder.name: objections_of(call_examples(folder))
             for folder in sorted((detect.DATA / "calls").iterdir())}  # fmt: skip
    sentences += [e for e in detect.load_corpus() if e.category_only]
    results: Scores = {}
    if args.cv:
        names = list(calls)
        folds = (
            [names[i :: args.folds] for i in range(args.folds)]
            if args.folds
            else [[n] for n in names]
        )
        for held in folds:
            train = sentences + [e for k, v in calls.items() if k not in held for e in v]
            tests = {"+".join(held): [e for k in held for e in calls[k]]}
            results |= accuracies(train, tests, features)
            print(show("+".join(held), results["+".join(held)]), flush=True)
    else:
        train = sentences + [e for v in calls.values() for e in v]
        tests = {root.name: labelled_set(root) for root in SETS if root.exists()}
        results = accuracies(train, tests, features)
        for key, scores in results.items():
            print(show(key, scores))
    total = sum(r["n"] for r in results.values())
    pooled = {arm: sum(r[arm] * r["n"] for r in results.values()) / total for arm in ARMS}
    print(
        f"pooled over {int(total)} objections: "
        + "  ".join(f"{a} {v:.3f}" for a, v in pooled.items())
    )


if __name__ == "__main__":
    main()
