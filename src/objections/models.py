"""Domain dataclasses shared by every pipeline stage.

Stages take and return these; none of them touches the database (that is `store`'s job).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CATEGORIES: tuple[str, ...] = (
    "price",
    "timing",
    "authority",
    "need",
    "competitor",
    "integration",
    "security",
    "implementation",
    "proof",
    "contract",
)

Role = Literal["rep", "buyer", "unknown"]
Coverage = Literal["covered", "partial", "gap"]
BriefType = Literal["faq", "comparison", "case-study"]
Trend = Literal["new", "growing", "steady", "fading"]


@dataclass
class Turn:
    """One speaker talking without interruption."""

    speaker: str
    start: float
    end: float
    text: str
    role: Role = "unknown"
    # Sentences as a labelled transcript gives them; empty when they must be split from `text`.
    sentences: list[str] = field(default_factory=list)
    channel: int | None = None


@dataclass
class Call:
    """A call: its metadata and, once transcribed or parsed, its turns."""

    call_id: str
    source: str
    sha256: str
    kind: Literal["audio", "transcript"]
    date: str | None = None
    account: str | None = None
    stage: str | None = None
    outcome: str | None = None
    speakers: dict[str, Role] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    roles_method: str = ""


@dataclass
class Sentence:
    call_id: str
    index: int
    speaker: str
    role: Role
    start: float
    end: float
    text: str
    # The previous turn by another speaker: the context a buyer is reacting to.
    context: str = ""
    # How many turns of its side (the buyers', or the reps') came before it in the call: a
    # buyer's reply to the rep's answer is one buyer turn later.
    turn: int = 0


@dataclass
class Objection:
    sentence: Sentence
    category: str
    confidence: float
    competitors: list[str] = field(default_factory=list)
    theme_id: str | None = None
    # The category model's probability for `category` (1.0 when a rule or a label set it).
    category_confidence: float = 1.0


@dataclass
class Quote:
    text: str
    call_id: str
    start: float
    end: float
    account: str | None = None
    source: str | None = None


@dataclass
class Asset:
    id: str
    title: str
    url: str
    type: str
    text: str
    sha256: str = ""


@dataclass
class AssetMatch:
    asset: Asset
    score: float
    # For partial coverage: the buyers' concerns (their sentences) no passage of it answers.
    missing: list[str] = field(default_factory=list)
    # About the theme (`assets.is_about`, whatever its type), so worth linking; a near miss in
    # score may not be.
    on_topic: bool = False


@dataclass
class Theme:
    id: str
    label: str
    category: str
    objections: list[Objection]
    keywords: list[str] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    centroid: list[float] = field(default_factory=list)
    rank: int = 0
    score: float = 0.0
    score_parts: dict[str, float] = field(default_factory=dict)
    mentions: int = 0
    calls: int = 0
    accounts: int = 0
    lost_deals: int = 0
    trend: Trend = "new"
    previous_mentions: int = 0
    assets: list[AssetMatch] = field(default_factory=list)
    coverage: Coverage = "gap"
    brief_type: BriefType = "faq"
    brief_path: str | None = None


@dataclass
class Brief:
    theme_id: str
    brief_type: BriefType
    path: str
    text: str
