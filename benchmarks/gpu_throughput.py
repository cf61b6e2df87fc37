"""Embedding throughput and category-encoder tuning time on the device the product picks (CUDA
when there is one, else the CPU), through the product's own code paths.

1. Embedding: N objection-like sentences (default 50,000: the shipped corpus's buyer objections
   varied as in themes_benchmark.py's scale workload, names and numbers masked as the pipeline
   embeds them) through `objections.embed.SentenceTransformerEmbedder.embed` (the model loaded
   with device=None, as the product loads it) at the [embed] batch size (64), then through
   `objections.embed.encode` at each other --batch size. Loading the model and a warm-up of
   1,000 sentences are timed apart; each timing is the best of --repeat runs.
2. Category encoder: `objections.encoder.TunedEncoder` trained from scratch on the shipped
   corpus (into a temporary cache, so nothing cached is reused), timed end to end: loading the
   base model, RECIPE["epochs"] passes of category-balanced batches, saving.

    .venv/bin/python benchmarks/gpu_throughput.py [--n 50000] [--batch 64 256 ...]
        [--model NAME|PATH] [--repeat N] [--cpu] [--skip-embed] [--skip-encoder] [--json]

--cpu hides the GPU (CUDA_VISIBLE_DEVICES=""), so the same code runs on the CPU for the
comparison; --model is the [embed] model (a sentence-transformers name or path; default the
bundled all-MiniLM-L6-v2). On the 2-core CPU machine the encoder's tuning takes about 4 min.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

WARM_UP = 1000


def sentences(n: int) -> list[str]:
    """N objection-like sentences, masked as the pipeline embeds them."""
    import themes_benchmark as themes

    rows = themes.workload([], n)
    return themes.masked([r["text"] for r in rows], themes.OTHER_NAMES)


def device_info(model: Any) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "device": str(model.device),
        "dtype": str(next(model.parameters()).dtype),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
    }
    if model.device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(model.device)
    for name in ("sentence-transformers", "transformers"):
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info[name] = None
    return info


def synchronize() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        synchronize()
        times.append(time.perf_counter() - started)
    return min(times)


def embedding(model_name: str, n: int, batches: list[int], repeat: int) -> dict[str, Any]:
    from objections.config import EmbedConfig
    from objections.embed import SentenceTransformerEmbedder, encode

    texts = sentences(n)
    embedder = SentenceTransformerEmbedder(EmbedConfig(model=model_name))
    started = time.perf_counter()
    model = embedder.model
    load = time.perf_counter() - started
    started = time.perf_counter()
    embedder.embed(texts[:WARM_UP])
    synchronize()
    warm = time.perf_counter() - started
    words = sum(len(t.split()) for t in texts) / max(1, len(texts))
    result: dict[str, Any] = {
        "machine": device_info(model),
        "sentences": n,
        "distinct": len(set(texts)),
        "mean_words": round(words, 1),
        "load_seconds": round(load, 2),
        "warm_up_seconds": round(warm, 2),
        "runs": [],
    }
    default = embedder.config.batch_size
    for batch in dict.fromkeys([default, *batches]):
        if batch == default:
            seconds = best_of(repeat, lambda: embedder.embed(texts))
        else:
            seconds = best_of(repeat, functools.partial(encode, model, texts, batch))
        result["runs"].append({
            "batch_size": batch, "product_default": batch == default,
            "seconds": round(seconds, 2), "sentences_per_second": round(n / seconds),
        })  # fmt: skip
    result["peak_gpu_mb"] = peak_gpu_mb()
    return result


def encoder_tuning(model_name: str) -> dict[str, Any]:
    from objections.config import EmbedConfig
    from objections.detect import category_training, load_corpus
    from objections.embed import SentenceTransformerEmbedder
    from objections.encoder import RECIPE, TunedEncoder

    training = category_training(load_corpus())
    marks: dict[str, float] = {}

    def on_step(done: int, total: int) -> None:
        if done == 1:
            marks["first_step"] = time.perf_counter()
        marks["steps"] = total

    reset_peak_gpu()
    base = SentenceTransformerEmbedder(EmbedConfig(model=model_name))
    with tempfile.TemporaryDirectory() as cache:
        encoder = TunedEncoder(base, training, Path(cache), on_step=on_step)
        started = time.perf_counter()
        model = encoder.model  # loads the base model, trains, saves
        synchronize()
        total = time.perf_counter() - started
        training_seconds = total - (marks.get("first_step", started) - started)
        check = encoder.embed(["we'd need the committee's sign-off first"])
    steps = int(marks.get("steps", 0))
    return {
        "machine": device_info(model),
        "sentences": len(training),
        "epochs": RECIPE["epochs"],
        "steps": steps,
        "seconds": round(total, 1),
        "from_first_step_seconds": round(training_seconds, 1),
        "steps_per_second": round(steps / max(1e-9, training_seconds), 1) if steps else None,
        "vector_dim": int(check.shape[1]),
        "peak_gpu_mb": peak_gpu_mb(),
    }


def reset_peak_gpu() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def peak_gpu_mb() -> float | None:
    import torch

    if not torch.cuda.is_available():
        return None
    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def peak_rss_mb() -> float | None:
    try:
        status = Path("/proc/self/status").read_text()
        return round(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024, 1)  # type: ignore[union-attr]
    except (OSError, AttributeError):
        return None


def print_report(report: dict[str, Any]) -> None:
    for part in ("embedding", "encoder"):
        if part in report:
            m = report[part]["machine"]
            gpu = f" ({m['gpu']})" if "gpu" in m else ""
            print(f"{part}: device {m['device']}{gpu}, {m['dtype']}, {m['cores']} cores, "
                  f"torch {m['torch']} ({m['torch_threads']} threads), sentence-transformers "
                  f"{m['sentence-transformers']}, transformers {m['transformers']}")  # fmt: skip
    e = report.get("embedding")
    if e:
        print(f"\nembedding {e['sentences']} sentences ({e['distinct']} distinct, "
              f"{e['mean_words']} words on average): model load {e['load_seconds']} s, warm-up "
              f"of {WARM_UP} {e['warm_up_seconds']} s")  # fmt: skip
        for r in e["runs"]:
            default = " (the product's [embed] batch_size)" if r["product_default"] else ""
            print(f"  batch {r['batch_size']:>5}: {r['seconds']:>8.2f} s, "
                  f"{r['sentences_per_second']:>7} sentences/s{default}")  # fmt: skip
        if e["peak_gpu_mb"] is not None:
            print(f"  peak GPU memory allocated: {e['peak_gpu_mb']} MB")
    c = report.get("encoder")
    if c:
        print(f"\ncategory encoder tuned on {c['sentences']} sentences, {c['epochs']} epochs, "
              f"{c['steps']} steps: {c['seconds']} s in all (load, train, save); "
              f"{c['from_first_step_seconds']} s from the first step; "
              f"{c['steps_per_second']} steps/s")  # fmt: skip
        if c["peak_gpu_mb"] is not None:
            print(f"  peak GPU memory allocated: {c['peak_gpu_mb']} MB")
    print(f"\npeak RSS: {report['peak_rss_mb']} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="sentences to embed")
    parser.add_argument("--batch", type=int, nargs="*", default=[],
                        help="batch sizes to time besides the [embed] one")  # fmt: skip
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="[embed] model: name or path")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs each, the best kept")
    parser.add_argument("--cpu", action="store_true", help="hide the GPU: run on the CPU")
    parser.add_argument("--skip-embed", action="store_true")
    parser.add_argument("--skip-encoder", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.cpu:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch is imported
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    report: dict[str, Any] = {}
    if not args.skip_embed:
        report["embedding"] = embedding(args.model, args.n, args.batch, args.repeat)
    if not args.skip_encoder:
        report["encoder"] = encoder_tuning(args.model)
    report["peak_rss_mb"] = peak_rss_mb()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
