"""Category encoder: the sentence model fine-tuned on the shipped corpus's objection categories.

A stock sentence model places sentences by their wording; the category of an objection is its
concern ("we'd need the committee's sign-off" and "the board decides in March" are both
authority). Three epochs of supervised contrastive fine-tuning on the corpus's objections (each
batch holds a few sentences of every category; same category pulls together, others push apart)
make the vectors follow the concern. Six folds of whole call industries (`python
benchmarks/category_encoder.py --cv --folds 6`): category accuracy, stock MiniLM 0.787, one
epoch 0.867, two 0.873, three 0.885.

The encoder is trained on first use (a few minutes on a laptop CPU) and cached in the user
cache, keyed by the base model, the training sentences and the recipe; a second run loads it.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from objections.embed import SentenceTransformerEmbedder, encode, resolve_model
from objections.models import CATEGORIES

# Chosen by leave-one-industry-out cross-validation (benchmarks/category_finetune.py, then
# benchmarks/category_encoder.py --cv for the epochs).
RECIPE: dict[str, float] = {
    "lr": 5e-5,
    "per_class": 3,  # sentences of each category in a batch
    "temperature": 0.05,
    "warmup": 0.1,  # share of the steps the learning rate ramps up over
    "epochs": 3,  # passes over the corpus, each in new category-balanced batches
    "max_seq_length": 128,
    "seed": 0,
}
RECIPE_VERSION = 1  # bump when the training code changes what it makes

# Progress hook: (steps done, steps in all).
StepFn = Callable[[int, int], None]


class TunedEncoder:
    """Sentence vectors from `base` fine-tuned on (text, category) pairs, trained once."""

    def __init__(
        self,
        base: SentenceTransformerEmbedder,
        training: Sequence[tuple[str, str]],
        cache: Path,
        on_step: StepFn | None = None,
    ) -> None:
        self.base = base
        self.training = list(training)
        self.on_step = on_step
        self.key = _key(base.config.model, self.training)
        self.path = cache / f"encoder-{self.key}"
        self.id = f"tuned:{self.key}:{base.config.model}"
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = self._cached()
            if self._model is None:
                self._model = self._train()
                self._save(self._model)
        return self._model

    def _cached(self) -> Any:
        """The cached model; None when there is none, or a damaged one (removed, so it is
        trained and saved again)."""
        if not self.path.exists():
            return None
        try:
            return _load(self.path, self.base)
        except Exception:  # the library raises many kinds for a broken folder
            shutil.rmtree(self.path, ignore_errors=True)
            return None

    def embed(self, texts: list[str]) -> np.ndarray:
        return encode(self.model, texts, self.base.config.batch_size)

    def _train(self) -> Any:
        model = _load(resolve_model(self.base.config.model), self.base)
        texts = [t for t, _ in self.training]
        labels = [c for _, c in self.training]
        train(model, texts, labels, self.on_step)
        return model

    def _save(self, model: Any) -> None:
        """Into a temporary folder renamed into place: a killed run or a second process never
        leaves half a model behind. A read-only cache only means training again next time."""
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            model.save(str(temporary))
            temporary.replace(self.path)
        except OSError:  # read-only, full, or another process saved it first
            shutil.rmtree(temporary, ignore_errors=True)


def _load(path: Path | str, base: SentenceTransformerEmbedder) -> Any:
    """The model at `path` on the device the base embedder would use, reading like it."""
    base.model  # noqa: B018 - sets the offline environment first, reports a missing base model
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device=None)
    model.max_seq_length = int(RECIPE["max_seq_length"])
    return model


def _key(base: str, training: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(f"{RECIPE_VERSION}:{sorted(RECIPE.items())}:{base}".encode())
    for text, category in training:
        digest.update(f"\n{category}\t{text}".encode())
    return digest.hexdigest()[:16]


def train(model: Any, texts: list[str], labels: list[str], on_step: StepFn | None = None) -> None:
    """Supervised contrastive learning over category-balanced batches (RECIPE["epochs"]
    passes)."""
    import torch

    rng = random.Random(int(RECIPE["seed"]))
    torch.manual_seed(int(RECIPE["seed"]))
    y_all = torch.tensor([CATEGORIES.index(c) for c in labels])
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(params, lr=RECIPE["lr"], weight_decay=0.01)
    steps = epochs_of_batches(labels, int(RECIPE["per_class"]), int(RECIPE["epochs"]), rng)
    total, warm = len(steps), max(1, int(RECIPE["warmup"] * len(steps)))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    model.train()
    for done, batch in enumerate(steps, 1):
        features = _inputs(model, [texts[i] for i in batch])
        emb = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
        loss = supcon_loss(emb, y_all[batch].to(model.device), RECIPE["temperature"])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if on_step:
            on_step(done, total)
    model.eval()


def _inputs(model: Any, texts: list[str]) -> dict[str, Any]:
    """The model's tokenised inputs for a batch, on its device."""
    prepare = getattr(model, "preprocess", None) or model.tokenize  # renamed in 5.x
    return {k: v.to(model.device) if hasattr(v, "to") else v for k, v in prepare(texts).items()}


def balanced_batches(labels: list[str], per_class: int, rng: random.Random) -> list[list[int]]:
    """Each batch takes `per_class` unseen sentences of every category (one pass over the data);
    a batch with a single category teaches nothing and is dropped."""
    by: dict[str, list[int]] = {}
    for i, y in enumerate(labels):
        by.setdefault(y, []).append(i)
    for members in by.values():
        rng.shuffle(members)
    batches = []
    while any(by.values()):
        batch: list[int] = []
        for y in by:
            batch += by[y][:per_class]
            by[y] = by[y][per_class:]
        if len({labels[i] for i in batch}) >= 2:
            batches.append(batch)
    rng.shuffle(batches)
    return batches


def epochs_of_batches(
    labels: list[str], per_class: int, epochs: int, rng: random.Random
) -> list[list[int]]:
    """`epochs` passes of `balanced_batches`, each shuffled anew."""
    return [batch for _ in range(epochs) for batch in balanced_batches(labels, per_class, rng)]


def supcon_loss(emb: Any, y: Any, temperature: float) -> Any:
    """Supervised contrastive loss: every same-category sentence in the batch is a positive."""
    import torch

    sim = emb @ emb.T / temperature
    eye = torch.eye(len(y), dtype=torch.bool, device=emb.device)
    sim = sim.masked_fill(eye, -1e9)
    positive = (y[:, None] == y[None, :]) & ~eye
    log_p = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    has = positive.any(1)
    return -((log_p * positive).sum(1)[has] / positive.sum(1)[has]).mean()
