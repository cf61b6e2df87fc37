"""Detect: which buyer sentences are objections, of which category, naming which competitors.

The default detector is a pair of logistic regressions over the sentence embedding, the embedding
of the turn it answers, and cue-phrase counts, trained on the labelled corpus shipped in
objections/data/ (many industries, with hard negatives). A keyword baseline sits beside it for
`objections eval`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from objections.competitors import COMPETITOR_WORDS, mask_competitors
from objections.models import CATEGORIES, Objection, Sentence

EmbedFn = Callable[[list[str]], np.ndarray]

CATEGORY_CUES: dict[str, str] = {
    "price": r"expensive|cost|costs|price|pricing|priced|afford|per (seat|user|employee|head|"
    r"location|month)|cheaper|pay(ing)? for|fees?|quote|too much|discount|dollars|invoice|spend",
    "timing": r"right now|right time|next (quarter|year|month)|after the (holidays|new year)|"
    r"busy season|bandwidth|priorit\w+|timing|wait (until|till)|revisit|down the road|"
    r"budget cycle|fiscal|this year|not now|later|season",
    "authority": r"sign[- ]off|approv\w+|my boss|the board|committee|procurement|corporate|"
    r"owners?|decision|decide|legal|cfo|ceo|vp|franchis\w+|headquarters|partners",
    "need": r"fine|spreadsheets?|excel|don'?t (really )?need|not a (big )?problem|good enough|"
    r"don'?t see|status quo|works for us|paper|manual|get by",
    "competitor": r"already (use|using|have|on)|switch\w*|same thing|does the same|"
    r"locked in|current (vendor|provider|tool|system)|renewal offer|competitor",
    "integration": r"integrat\w+|sync\w*|api|export\w*|import\w*|connect\w*|erp|crm|payroll|"
    r"pos|sso|single sign|data feed|plug into|talk to|works with",
    "security": r"secur\w+|privacy|private|compliance|soc ?2|hipaa|gdpr|pci|tracking|track|"
    r"monitor\w*|breach|encrypt\w*|audit|residency|personal (data|phone)|biometric",
    "implementation": r"roll ?out|training|train|onboard\w*|migrat\w+|adoption|adopt|set ?up|"
    r"it (team|department|resources)|learning curve|change management|get (people|them|"
    r"everyone) to|implement\w*|go[- ]live|resources",
    "proof": r"case stud\w+|references?|roi|proof|prove|never heard|small company|startup|"
    r"track record|results|evidence|customers like|return on|pay for itself|numbers",
    "contract": r"contract|annual|term|commitment|auto[- ]?renew\w*|renewal|cancel\w*|"
    r"minimums?|sla|liabilit\w+|lock\w* (us )?in|multi[- ]year|payment terms|upfront|net \d+",
}
OBJECTION_CUES = (
    r"\bbut\b|worr\w+|concern\w*|not sure|don'?t know|hesitant|problem|issue|honestly|"
    r"the thing is|don'?t love|\btoo\b|can'?t|won'?t|hard to|tough|struggle|risk\w*|nervous|"
    r"skeptic\w*|push ?back|no way|not going to|isn'?t|wasn'?t|don'?t want|hard sell|"
    r"i doubt|frankly|the problem|a lot of money|not convinced|struggling"
)
# Cue counts are strong but partly shortcuts (sentence length most of all: written objections
# run long), so they are damped against the embedding; more so for the category.
DETECT_CUE_WEIGHT = 0.5
CATEGORY_CUE_WEIGHT = 0.3
# The turn a sentence answers helps tell pushback from talk, and its category. Weights chosen
# by cross-validation over the shipped labelled call sets (whole industries held out; the
# category's 0.25 -> 0.5 in the fifth session: 6 folds, 573 objections, 0.878 -> 0.888).
DETECT_CONTEXT_WEIGHT = 0.5
CATEGORY_CONTEXT_WEIGHT = 0.5
# A sentence naming one of the company's competitors is most often about that competitor; names
# mean nothing to the embedding model, so they are replaced by COMPETITOR_WORDS, and flagged.
NAMED_COMPETITOR_WEIGHT = 1.0
CATEGORY_C = 1.0  # the category model's inverse regularisation (cross-validated)
_CATEGORY_RE = {c: re.compile(rf"\b(?:{p})\b", re.IGNORECASE) for c, p in CATEGORY_CUES.items()}
_OBJECTION_RE = re.compile(OBJECTION_CUES, re.IGNORECASE)


class Detector(Protocol):
    """Anything that finds objections among sentences, given their embeddings."""

    id: str

    def detect(self, sentences: list[Sentence], vectors: np.ndarray) -> list[Objection]: ...


@dataclass
class Example:
    text: str
    context: str
    role: str
    category: str | None
    # Sentences from whole labelled calls count more: they read like real calls.
    weight: float = 1.0
    # The selling company's named competitors (its config), as the pipeline would know them.
    competitors: tuple[str, ...] = ()
    # Trains the category model only, not the objection detector (data/category_calls).
    category_only: bool = False


CALL_WEIGHT = 3.0
FEATURES_VERSION = 4  # bump when the feature recipe changes, so cached models are retrained

DATA = Path(__file__).parent / "data"


def load_corpus(extra: Iterable[Path] = ()) -> list[Example]:
    """The shipped training corpus: labelled sentences (data/*.jsonl) and labelled calls in the
    devset format (data/calls/*/*.json), plus any extra files of either kind; and the calls of
    data/category_calls, whose objections train the category model only: their unlabelled
    sentences hold more pushback-sounding talk than real calls do, which taught the detector
    to doubt short, clear objections."""
    files = sorted(DATA.glob("*.jsonl")) + sorted(DATA.glob("calls/*/*.json")) + list(extra)
    examples: list[Example] = []
    for path in files:
        if path.suffix == ".jsonl":
            examples.extend(_sentence_examples(path))
        elif _is_call(path):
            examples.extend(_call_examples(path))
    for path in sorted(DATA.glob("category_calls/*/*.json")):
        if _is_call(path):
            examples.extend(
                replace(e, category_only=True, weight=1.0)
                for e in _call_examples(path)
                if e.category
            )
    return examples


def _is_call(path: Path) -> bool:
    return path.name not in ("company.json", "themes.json", "trends.json")


def _sentence_examples(path: Path) -> list[Example]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    named = json.loads((DATA / "competitors.json").read_text(encoding="utf-8"))
    examples = []
    for r in rows:
        competitors = tuple(named.get(r.get("company", ""), ()))
        examples.append(Example(r["text"], r.get("context", ""), r["role"], r.get("category"),
                                competitors=competitors))  # fmt: skip
    return examples


def labelled_sentences(path: Path) -> list[tuple[Sentence, dict[str, str]]]:
    """Every sentence of a labelled call (the devset format) as the pipeline splits it, with
    its context and turn, beside its label ({} when none)."""
    from objections.models import Call
    from objections.roles import assign_roles
    from objections.sentences import call_sentences
    from objections.transcripts import parse_transcript

    data = path.read_bytes()
    call = assign_roles(parse_transcript(path, data, Call(path.stem, str(path), "", "transcript")),
                        reps=[])  # fmt: skip
    turns = json.loads(data)["turns"]
    labels = [s.get("label") or {} for turn in turns for s in turn.get("sentences", [])]
    sentences = call_sentences(call)
    if len(labels) != len(sentences):
        raise ValueError(f"{path}: sentences and labels do not line up")
    return list(zip(sentences, labels, strict=True))


def _call_examples(path: Path) -> list[Example]:
    """Every sentence of a labelled call, with the context the pipeline would give it."""
    company = path.parent / "company.json"
    competitors = json.loads(company.read_text())["competitors"] if company.exists() else []
    return [
        Example(s.text, s.context, s.role, label.get("category"), CALL_WEIGHT, tuple(competitors))
        for s, label in labelled_sentences(path)
    ]


def category_training(corpus: list[Example]) -> list[tuple[str, str]]:
    """(text, category) of the corpus's buyer objections, competitor names masked as the
    category model will see them: what the category encoder is tuned on."""
    return [
        (mask_competitors(e.text, e.competitors), e.category)
        for e in corpus
        if e.role != "rep" and e.category is not None
    ]


def cue_features(texts: list[str]) -> np.ndarray:
    """Per sentence: hits of each category's cue phrases, objection cues, and a question mark."""
    rows = []
    for text in texts:
        counts = [min(len(_CATEGORY_RE[c].findall(text)), 3) / 3 for c in CATEGORIES]
        counts.append(min(len(_OBJECTION_RE.findall(text)), 3) / 3)
        counts.append(1.0 if text.rstrip().endswith("?") else 0.0)
        counts.append(min(len(text.split()), 60) / 60)
        rows.append(counts)
    return np.asarray(rows, dtype=np.float32)


def keyword_category(text: str) -> str | None:
    hits = {c: len(r.findall(text)) for c, r in _CATEGORY_RE.items()}
    best = max(hits, key=lambda c: hits[c])
    return best if hits[best] else None


def is_buyer(sentence: Sentence) -> bool:
    return sentence.role != "rep"


# A follow-up this short has too few words of its own to judge its category by. In the shipped
# corpus a labelled objection of at most 16 words after one in the same or the buyers' previous
# turn shares its category 26 times in 27; at 17-25 words 21 in 31, beyond that 46 in 175.
FOLLOW_UP_WORDS = 16
# ... when the category model doubts its own reading (less than even odds): a short new concern
# said plainly ("And the contract is too long.", 0.90) keeps its category.
FOLLOW_UP_DOUBT = 0.5


def carry_follow_ups(objections: list[Objection]) -> None:
    """A short objection the category model doubts, that continues the buyer's previous one in
    the same turn or in the buyers' next one after the rep's reply ("That would be the only way
    I'd believe it.", security at 0.37), takes that objection's category: a follow-up returns to
    the same concern."""
    for before, after in follow_ups(objections):
        if after.category_confidence < FOLLOW_UP_DOUBT:
            after.category = before.category


def follow_ups(objections: list[Objection]) -> list[tuple[Objection, Objection]]:
    """(objection, the short objection right after it that may continue it), in call order: the
    next objection of the call, at most FOLLOW_UP_WORDS long, in the same buyer turn or in the
    buyers' next turn after the rep's reply."""
    ordered = sorted(objections, key=lambda o: (o.sentence.call_id, o.sentence.index))
    return [
        (before, after)
        for before, after in itertools.pairwise(ordered)
        if before.sentence.call_id == after.sentence.call_id
        and is_buyer(after.sentence)
        and after.sentence.turn - before.sentence.turn <= 1
        and len(after.sentence.text.split()) <= FOLLOW_UP_WORDS
    ]


class KeywordDetector:
    """Baseline: a buyer sentence with an objection cue and a category cue."""

    id = "keywords:v1"

    def detect(self, sentences: list[Sentence], vectors: np.ndarray) -> list[Objection]:
        found = []
        for sentence in sentences:
            category = keyword_category(sentence.text)
            if is_buyer(sentence) and category and _OBJECTION_RE.search(sentence.text):
                found.append(Objection(sentence, category, 0.5))
        return found


class ClassifierDetector:
    """Logistic regressions trained on the shipped corpus, on first use. `category` gives the
    category model its own sentence vectors (the tuned encoder: encoder.py) and names them;
    without it the category model reads `embed`'s."""

    def __init__(
        self,
        embed: EmbedFn,
        embedder_id: str,
        threshold: float = 0.5,
        competitors: Iterable[str] = (),
        corpus: list[Example] | None = None,
        category: tuple[EmbedFn, str] | None = None,
    ) -> None:
        self.embed = embed
        self.threshold = threshold
        self.competitors = tuple(competitors)
        self.corpus = load_corpus() if corpus is None else corpus
        self.category_embed: EmbedFn | None = category[0] if category else None
        category_id = category[1] if category else embedder_id
        recipe = "\n".join(
            f"{e.text}|{e.context}|{e.role}|{e.category}|{e.weight}|{e.competitors}"
            f"|{e.category_only}"
            for e in self.corpus
        )
        settings = (
            FEATURES_VERSION,
            COMPETITOR_WORDS,
            NAMED_COMPETITOR_WEIGHT,
            CATEGORY_C,
            DETECT_CUE_WEIGHT,
            CATEGORY_CUE_WEIGHT,
            DETECT_CONTEXT_WEIGHT,
            CATEGORY_CONTEXT_WEIGHT,
        )
        recipe += f"\n{settings}:{embedder_id}:{category_id}"
        self.key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
        self.id = f"classifier:{self.key[:8]}:{embedder_id}:t{threshold}"
        self._models: tuple[Linear, Linear] | None = None

    def features(self, texts: list[str], contexts: list[str], vectors: np.ndarray) -> np.ndarray:
        """Sentence vector, context vector, damped cue counts. The category model damps the cues
        further: they tell pushback from talk but sway the category (chosen by
        leave-one-industry-out cross-validation on the corpus)."""
        context_vectors = _embed_contexts(self.embed, contexts, vectors.shape[1])
        cues = DETECT_CUE_WEIGHT * cue_features(texts)
        return np.hstack([vectors, DETECT_CONTEXT_WEIGHT * context_vectors, cues])

    def category_features(
        self, x: np.ndarray, texts: list[str], competitors: list[tuple[str, ...]]
    ) -> np.ndarray:
        """The detector's features, leaning less on the context and the cues, with each
        sentence embedded with the competitors it names replaced by COMPETITOR_WORDS, and a
        flag for naming one. The sentence vector is the category encoder's when there is one."""
        dim = (x.shape[1] - len(CATEGORIES) - 3) // 2
        context_scale = CATEGORY_CONTEXT_WEIGHT / DETECT_CONTEXT_WEIGHT
        cue_scale = CATEGORY_CUE_WEIGHT / DETECT_CUE_WEIGHT
        masked = [mask_competitors(t, c) for t, c in zip(texts, competitors, strict=True)]
        named = [i for i, (m, t) in enumerate(zip(masked, texts, strict=True)) if m != t]
        if self.category_embed is not None:
            sentence = self.category_embed(masked) if texts else np.zeros((0, dim), np.float32)
        else:
            sentence = x[:, :dim].copy()
            if named:
                sentence[named] = self.embed([masked[i] for i in named])
        flag = np.zeros((len(texts), 1), dtype=np.float32)
        flag[named] = NAMED_COMPETITOR_WEIGHT
        return np.hstack(
            [sentence, context_scale * x[:, dim : 2 * dim], cue_scale * x[:, 2 * dim :], flag]
        )

    def fit(self) -> tuple[Linear, Linear]:
        """The trained models: from the user cache when this corpus, recipe and embedding model
        were trained before (training embeds the whole corpus), else trained now and cached."""
        if self._models is None:
            cache = cache_dir() / f"detector-{self.key}.npz"
            self._models = load_models(cache) or self._train()
            save_models(cache, self._models)
        return self._models

    def _train(self) -> tuple[Linear, Linear]:
        from sklearn.linear_model import LogisticRegression

        buyers = [e for e in self.corpus if e.role != "rep"]
        for_detector = np.array([not e.category_only for e in buyers] * 2)
        texts = [e.text for e in buyers]
        vectors = self.embed(texts)
        # Each example twice, with and without the turn it answers: a call's first
        # sentence, or a transcript with one speaker, has no context to lean on.
        x = np.vstack(
            [
                self.features(texts, [e.context for e in buyers], vectors),
                self.features(texts, [""] * len(texts), vectors),
            ]
        )
        y = np.array([e.category is not None for e in buyers] * 2)
        weights = np.array([e.weight for e in buyers] * 2)
        detector = LogisticRegression(C=2.0, max_iter=3000, class_weight="balanced")
        detector.fit(x[for_detector], y[for_detector], sample_weight=weights[for_detector])
        categories = np.array([e.category for e in buyers] * 2, dtype=object)[y]
        objections = [e for e in buyers if e.category is not None] * 2
        features = self.category_features(
            x[y], [e.text for e in objections], [e.competitors for e in objections]
        )
        classifier = LogisticRegression(C=CATEGORY_C, max_iter=3000)
        classifier.fit(features, categories, sample_weight=weights[y])
        return Linear.of(detector), Linear.of(classifier)

    def probabilities(
        self, sentences: list[Sentence], vectors: np.ndarray
    ) -> tuple[np.ndarray, list[str]]:
        """P(objection) and the likeliest category, per sentence."""
        x = self._features_of(sentences, vectors)
        return self._objection_probabilities(x), self._categories(x, sentences)

    def objection_probabilities(self, sentences: list[Sentence], vectors: np.ndarray) -> np.ndarray:
        return self._objection_probabilities(self._features_of(sentences, vectors))

    def categories(self, sentences: list[Sentence], vectors: np.ndarray) -> list[str]:
        return self._categories(self._features_of(sentences, vectors), sentences)

    def classify(self, sentences: list[Sentence], vectors: np.ndarray) -> list[tuple[str, float]]:
        """The likeliest category of each sentence, and its probability."""
        return self._classify(self._features_of(sentences, vectors), sentences)

    def detect(self, sentences: list[Sentence], vectors: np.ndarray) -> list[Objection]:
        """Buyer sentences at or above the threshold, with their category (only those are
        categorised: the category encoder embeds each one again)."""
        buyer = [i for i, s in enumerate(sentences) if is_buyer(s)]
        chosen = [sentences[i] for i in buyer]
        x = self._features_of(chosen, vectors[buyer])
        probs = self._objection_probabilities(x)
        keep = [i for i, p in enumerate(probs) if p >= self.threshold]
        classified = self._classify(x[keep], [chosen[i] for i in keep])
        return [
            Objection(chosen[i], category, round(float(probs[i]), 4), category_confidence=sure)
            for i, (category, sure) in zip(keep, classified, strict=True)
        ]

    def _features_of(self, sentences: list[Sentence], vectors: np.ndarray) -> np.ndarray:
        if not sentences:
            return np.zeros((0, 0), dtype=np.float32)
        texts = [s.text for s in sentences]
        return self.features(texts, [s.context for s in sentences], vectors)

    def _objection_probabilities(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        return self.fit()[0].predict_proba(x)[:, 1]

    def _categories(self, x: np.ndarray, sentences: list[Sentence]) -> list[str]:
        return [category for category, _ in self._classify(x, sentences)]

    def _classify(self, x: np.ndarray, sentences: list[Sentence]) -> list[tuple[str, float]]:
        if not sentences:
            return []
        texts = [s.text for s in sentences]
        features = self.category_features(x, texts, [self.competitors] * len(texts))
        model = self.fit()[1]
        probabilities = model.predict_proba(features)
        best = probabilities.argmax(axis=1)
        return [
            (str(model.classes[b]), round(float(p[b]), 4))
            for b, p in zip(best, probabilities, strict=True)
        ]


@dataclass
class Linear:
    """A fitted logistic regression reduced to its arrays, so it can be cached without pickle."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: np.ndarray

    @classmethod
    def of(cls, model: Any) -> Linear:
        return cls(model.coef_, model.intercept_, np.asarray(model.classes_).astype(str))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        scores = x @ self.coef.T + self.intercept
        if scores.shape[1] == 1:  # binary: one score for the second class
            p = 1 / (1 + np.exp(-scores[:, 0]))
            return np.stack([1 - p, p], axis=1)
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> list[str]:
        return [str(self.classes[i]) for i in self.predict_proba(x).argmax(axis=1)]


def cache_dir() -> Path:
    base = os.environ.get("OBJECTIONS_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "objections" if base else Path.home() / ".cache" / "objections"


def load_models(path: Path) -> tuple[Linear, Linear] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return tuple(  # type: ignore[return-value]
                Linear(data[f"{n}_coef"], data[f"{n}_intercept"], data[f"{n}_classes"])
                for n in ("detector", "classifier")
            )
    except (OSError, KeyError, ValueError):
        return None


def save_models(path: Path, models: tuple[Linear, Linear]) -> None:
    """Best effort: a read-only home only means training again next time."""
    arrays = {
        f"{name}_{field}": getattr(model, field)
        for name, model in zip(("detector", "classifier"), models, strict=True)
        for field in ("coef", "intercept", "classes")
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(temporary, **arrays)
            temporary.replace(path)
    except OSError:
        pass


def _embed_contexts(embed: EmbedFn, contexts: list[str], dim: int) -> np.ndarray:
    out = np.zeros((len(contexts), dim), dtype=np.float32)
    present = [i for i, c in enumerate(contexts) if c.strip()]
    if present:
        out[present] = embed([contexts[i][-500:] for i in present])
    return out
