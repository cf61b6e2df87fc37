"""Assets: read the team's existing content and say which asset answers each theme.

An asset is split into passages, so a long page matches on the part that answers the concern.
A theme's score for an asset is the mean, over the theme's objections, of the best passage
similarity: an asset that answers most buyers scores higher than one that echoes a few words.

Coverage (see `decide_coverage`) is judged on the best-scoring asset whose type lets it answer
(`can_answer`: a blog post only when buyers name what its title names). It must be about the
theme (the theme's centroid against the mean of the asset's passage vectors, or most buyers
naming what its title names), else the theme is a gap; an asset on topic that leaves a large
share of the buyers' sentences without a passage that answers them is partial, and those
sentences are recorded as what the asset is missing.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import logging
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from objections.competitors import camel_case
from objections.config import AssetsConfig
from objections.embed import date_spans
from objections.errors import ConfigError
from objections.models import Asset, AssetMatch, Coverage, Theme
from objections.sentences import split_text

EmbedFn = Callable[[list[str]], np.ndarray]
ErrorFn = Callable[[str], None]
PASSAGE_SENTENCES = 3
MARKUP = (".md", ".markdown", ".html", ".htm")
# Two unanswered buyer sentences this similar say the same thing: list it once.
SAME_CONCERN = 0.8
MISSING_LIMIT = 5
WORD = re.compile(r"\w[\w'.&-]*\w|\w")  # keeps Bill.com, Raiser's, Auto-Fill whole
MID_SENTENCE = re.compile(rf"(?<=[\w,;] )(?:{WORD.pattern})")  # a word after a word, not a stop


def load_assets(path: Path, on_error: ErrorFn | None = None) -> list[Asset]:
    """Assets from a folder of Markdown/HTML/PDF files or from a CSV of title, url, type, summary.

    A PDF that cannot be read (encrypted, corrupt, no text) is reported through `on_error` as
    one line naming the file (on stderr when no handler is given) and left out; the rest load.
    """
    if not path.exists():
        raise ConfigError(f"{path}: assets path not found")
    if path.is_file():
        return _from_csv(path)
    report = on_error or _to_stderr
    assets = []
    for file in sorted(path.rglob("*")):
        suffix = file.suffix.lower()
        if not file.is_file():
            continue
        if suffix in MARKUP:
            text = file.read_text(encoding="utf-8", errors="replace")
            parse = _from_html if suffix in (".html", ".htm") else _from_markdown
            assets.append(parse(file.stem, text))
        elif suffix == ".pdf":
            try:
                assets.append(_from_pdf(file))
            except AssetError as exc:
                report(f"error: {file}: {exc} (asset skipped)")
        elif suffix == ".csv":
            assets.extend(_from_csv(file))
    return assets


class AssetError(Exception):
    """One asset file cannot be read; the others still load."""


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _asset(asset_id: str, title: str, url: str, kind: str, body: str) -> Asset:
    text = f"{title}. {body}".strip()
    sha = hashlib.sha256(f"{title}\n{url}\n{kind}\n{body}".encode()).hexdigest()
    return Asset(asset_id, title, url, kind, text, sha)


def _from_markdown(asset_id: str, text: str) -> Asset:
    meta: dict[str, object] = {}
    body = text
    if text.startswith("---"):
        parts = text.split("\n---", 2)
        if len(parts) >= 2:
            try:
                loaded = yaml.safe_load(parts[0].lstrip("-\n"))
            except yaml.YAMLError:
                loaded = None
            meta = loaded if isinstance(loaded, dict) else {}
            body = parts[1].lstrip("-\n") if len(parts) == 2 else parts[1] + parts[2]
    body = re.sub(r"[#*_`>\[\]]", " ", body)
    title = str(meta.get("title") or _first_heading(text) or asset_id)
    return _asset(asset_id, title, str(meta.get("url", "")), str(meta.get("type", "")), body)


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _from_html(asset_id: str, text: str) -> Asset:
    def meta(name: str) -> str:
        match = re.search(
            rf"<meta[^>]+(?:name|property)=[\"'](?:og:)?{name}[\"'][^>]*content=[\"']([^\"']*)",
            text,
            re.IGNORECASE,
        )
        return html.unescape(match.group(1)) if match else ""

    title_match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    title = html.unescape(title_match.group(1).strip()) if title_match else asset_id
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.IGNORECASE | re.DOTALL)
    body = html.unescape(re.sub(r"<[^>]+>", " ", body))
    body = meta("description") + " " + re.sub(r"\s+", " ", body)
    return _asset(asset_id, title, meta("url"), meta("type"), body)


def _from_pdf(file: Path) -> Asset:
    """Text of every page; the title from the PDF's metadata, else its first heading-like line."""
    from pypdf import PdfReader

    # pypdf logs its repairs of damaged files ("EOF marker not found"); the one line below says it.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(file)
        if reader.is_encrypted and not reader.decrypt(""):
            raise AssetError("the PDF is encrypted (save a copy without a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        title = str(meta.title or "").strip() if meta else ""
    except AssetError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files; one file, one line
        raise AssetError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise AssetError("no text in the PDF (a scan? run OCR on it first)")
    if re.search(r"\.(docx?|pptx?|indd|pdf)$|^untitled", title, re.IGNORECASE):
        title = ""  # what a word processor puts in the metadata is no title
    title = title or _heading_line(text) or file.stem
    return _asset(file.stem, title, "", "", _unwrap(text))


def _heading_line(text: str) -> str | None:
    """The first short line that does not end like a sentence: how a PDF's title reads."""
    for line in text.splitlines()[:10]:
        line = line.strip()
        if 3 <= len(line) <= 120 and not line.endswith((".", ",", ";")):
            return line
    return None


def _unwrap(text: str) -> str:
    """Join the hard-wrapped lines of PDF text (and words hyphenated across them)."""
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


def _from_csv(path: Path) -> list[Asset]:
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if "title" not in columns:
        raise ConfigError(f"{path}: assets CSV needs at least a 'title' column")
    assets = []
    for n, row in enumerate(reader, start=1):
        clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        asset_id = clean.get("id") or _slug(clean.get("title", "")) or f"row-{n}"
        url, kind, summary = clean.get("url", ""), clean.get("type", ""), clean.get("summary", "")
        assets.append(_asset(asset_id, clean["title"], url, kind, summary))
    return assets


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def passages(asset: Asset) -> list[str]:
    """The title, then windows of a few sentences, overlapping by one."""
    sentences = split_text(asset.text)
    windows = [asset.title or asset.id]  # never empty: every asset has a passage
    step = max(1, PASSAGE_SENTENCES - 1)
    for i in range(0, max(1, len(sentences) - 1), step):
        windows.append(" ".join(sentences[i : i + PASSAGE_SENTENCES]))
    return [w for w in windows if w.strip()]


class AssetIndex:
    """Passage vectors for every asset, embedded once (the embedder's cache makes a rerun embed
    only passages whose text changed), and each asset's topic: the mean of its passages."""

    def __init__(self, assets: list[Asset], embed: EmbedFn) -> None:
        self.assets = assets
        self.owner: list[int] = []
        texts: list[str] = []
        for n, asset in enumerate(assets):
            chunks = passages(asset)
            texts.extend(chunks)
            self.owner.extend([n] * len(chunks))
        self.vectors = embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        self.topics = self._topics()

    @cached_property
    def names(self) -> list[list[str]]:
        """Per asset, the names its title gives (see `title_names`)."""
        return title_names(self.assets)

    def _topics(self) -> np.ndarray:
        if not self.assets:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([_unit(self._of(a).mean(axis=0)) for a in range(len(self.assets))])

    def _of(self, asset: int) -> np.ndarray:
        return self.vectors[np.asarray(self.owner) == asset]

    def best_passages(self, member_vectors: np.ndarray) -> np.ndarray:
        """assets x members: each member's best passage similarity within each asset."""
        sims = member_vectors @ self.vectors.T
        owner = np.asarray(self.owner)
        return np.stack([sims[:, owner == a].max(axis=1) for a in range(len(self.assets))])

    def scores(self, member_vectors: np.ndarray) -> np.ndarray:
        """Per asset: mean over members of the best passage similarity."""
        if not self.assets or len(member_vectors) == 0:
            return np.zeros(len(self.assets))
        return self.best_passages(member_vectors).mean(axis=1)


def title_names(assets: list[Asset]) -> list[list[str]]:
    """Per asset, the proper names in its title: the competitor of a comparison page, the system
    of an integration datasheet, the customer of a case study. A name is written capitalised and
    the library never writes it in lowercase (so "Pricing" and "Webinar" are words, not names); a
    title segment's first word is capitalised anyway, so it counts when it looks like a name
    (NetSuite, EHR) or the library also capitalises it mid-sentence; a word in more than half
    the library's assets (the company's own name) names nothing in particular."""
    lowercase: set[str] = set()
    mid_sentence: set[str] = set()
    used_by: Counter[str] = Counter()
    for asset in assets:
        words = WORD.findall(asset.text)
        lowercase.update(_key(w) for w in words if w.islower() and not _looks_like_a_name(w))
        used_by.update({_key(w) for w in words})
        mid_sentence.update(_key(w) for w in MID_SENTENCE.findall(asset.text) if w[0].isupper())

    def is_name(word: str, first: bool) -> bool:
        capitalised = word[0].isupper() and (not first or _key(word) in mid_sentence)
        if not (capitalised or _looks_like_a_name(word)):
            return False
        return _key(word) not in lowercase and used_by[_key(word)] * 2 <= len(assets)

    names = []
    for asset in assets:
        title = undated(asset.title)
        segments = [WORD.findall(s) for s in re.split(r"[:?!]\s|\.\s", title)]
        names.append([w for s in segments for n, w in enumerate(s) if is_name(w, n == 0)])
    return names


def undated(title: str) -> str:
    """The title without its dates: "8 things to finish before December 31" is not about what
    buyers who say December talk about, nor "Staffing for Labor Day" about Labor Day."""
    for start, end in reversed(date_spans(title)):
        title = title[:start] + " " * (end - start) + title[end:]
    return title


def _key(word: str) -> str:
    """FreightPilot's is FreightPilot."""
    return word.lower().removesuffix("'s")


def _looks_like_a_name(word: str) -> bool:
    """A capital inside the word or a digit beside letters: NetSuite, EHR, 7shifts, never a word."""
    return _has_letter(word) and (
        any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word)
    )


def _has_letter(word: str) -> bool:
    return any(c.isalpha() for c in word)


def named_share(texts: list[str], names: list[str]) -> float:
    """Share of the buyers' sentences that name one of `names`, written as the title writes it
    (case matters: "Square" is the company, "square" a word); a camel-case name also as speech
    recognition writes it ("Net suite", "netsuite" for NetSuite)."""
    if not names or not texts:
        return 0.0
    pattern = re.compile("|".join(rf"(?<!\w){_spelling(n)}(?!\w)" for n in names))
    return sum(bool(pattern.search(t)) for t in texts) / len(texts)


def _spelling(name: str) -> str:
    """A pattern for the name: as written, or, when camel case of words (NetSuite, HubSpot), in
    any case, spaced or not ("IDeaS" stays as written: "ideas" is a word)."""
    parts = [p for p in re.findall(r"[A-Z]*[a-z0-9']*", name) if p]
    if not camel_case(name) or any(len(p) < 3 for p in parts):
        return re.escape(name)
    return "(?i:" + r"\s?".join(re.escape(p) for p in parts) + ")"


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass
class Features:
    """What the coverage decision reads, for the judged asset: the best-scoring one that may
    answer by its type, else the best-scoring one (benchmarks/asset_calibration.py prints them
    for every labelled theme)."""

    top: int  # index of the judged asset
    scores: np.ndarray  # every asset's score (mean best-passage similarity)
    topic: float  # theme centroid against the judged asset's topic vector
    answered: np.ndarray  # per member: its best passage similarity within the judged asset
    named: float  # share of the buyers' sentences naming what the judged asset's title names
    answerable: bool = True  # False when no asset's type lets it answer the theme

    @property
    def best(self) -> float:
        return float(self.scores[self.top])

    @property
    def lead(self) -> float:
        """The judged score's lead over the best other one (the coverage rule before `topic`
        used it); below zero when a blog post outscores the judged asset."""
        rest = np.delete(self.scores, self.top)
        return self.best - float(rest.max()) if len(rest) else self.best


def features(
    member_vectors: np.ndarray, index: AssetIndex, texts: list[str], config: AssetsConfig
) -> Features:
    """`texts`: the members' sentences, in the order of `member_vectors`. The best asset is the
    best-scoring one that may answer the theme by its type (`can_answer`), if any."""
    per_member = index.best_passages(member_vectors)
    scores = per_member.mean(axis=1)
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    # Names are counted only down to the first asset that may answer (libraries run long).
    top, named, answerable = order[0], named_share(texts, index.names[order[0]]), False
    for i in order:
        share = named if i == order[0] else named_share(texts, index.names[i])
        if can_answer(index.assets[i], share, config):
            top, named, answerable = i, share, True
            break
    topic = float(index.topics[top] @ _unit(member_vectors.mean(axis=0)))
    return Features(top, scores, topic, per_member[top], named, answerable)


def can_answer(asset: Asset, named: float, config: AssetsConfig) -> bool:
    """A blog post (any `named_only` type) answers only a theme whose buyers name what its title
    names; other types may answer whatever they are about. Types match by word, in any case:
    "Blog post" is a blog."""
    words = set(re.findall(r"[a-z]+", asset.type.lower()))
    limited = {t.strip().lower() for t in config.named_only if t.strip()}
    return not (words & limited or asset.type.strip().lower() in limited) or named >= config.named


def decide_coverage(found: Features, config: AssetsConfig) -> Coverage:
    """gap when the best asset is not about the theme; partial when it is, but more than
    `unanswered_share` of the buyers' sentences have no passage reaching `answered`; else
    covered. Thresholds calibrated by benchmarks/asset_calibration.py (see docs/quality.md)."""
    if not on_topic(found, config):
        return "gap"
    if unanswered_share(found, config) > config.unanswered_share:
        return "partial"
    return "covered"


def on_topic(found: Features, config: AssetsConfig) -> bool:
    return found.answerable and is_about(found.topic, found.named, config)


def is_about(topic: float, named: float, config: AssetsConfig) -> bool:
    """The theme's centroid is close to what the asset as a whole is about (`topic`), or at
    least `named` of the buyers name what its title names: a theme about Raiser's Edge is the
    subject of the "vs Raiser's Edge" page even when the buyers' stories (their history on it,
    the renewal discount) pull the centroid away from the page's feature table."""
    return topic >= config.on_topic or named >= config.named


def unanswered_share(found: Features, config: AssetsConfig) -> float:
    return float(np.mean(found.answered < config.answered)) if len(found.answered) else 0.0


def missing_concerns(
    texts: list[str], member_vectors: np.ndarray, found: Features, config: AssetsConfig
) -> list[str]:
    """The buyers' sentences no passage of the asset answers, one per distinct concern, the
    least answered first: what an update of the asset has to add."""
    kept: list[int] = []
    for i in np.argsort(found.answered):
        if found.answered[i] >= config.answered or len(kept) == MISSING_LIMIT:
            break
        if all(float(member_vectors[i] @ member_vectors[j]) < SAME_CONCERN for j in kept):
            kept.append(int(i))
    return [texts[i] for i in kept]


def match_theme(
    theme: Theme, member_vectors: np.ndarray, index: AssetIndex, config: AssetsConfig
) -> None:
    """Set the theme's assets (the judged one first unless a gap, then by score) and its
    coverage; for partial coverage, the judged asset's `missing`: the buyers' concerns it leaves
    unanswered."""
    if not index.assets or len(member_vectors) == 0:
        theme.assets, theme.coverage = [], "gap"
        return
    texts = [o.sentence.text for o in theme.objections]
    found = features(member_vectors, index, texts, config)
    theme.coverage = decide_coverage(found, config)
    order = [int(i) for i in np.argsort(-found.scores, kind="stable")]
    if theme.coverage != "gap":  # the asset that answers leads, though a blog post outscores it
        order.remove(found.top)
        order.insert(0, found.top)
    centroid = _unit(member_vectors.mean(axis=0))
    theme.assets = [
        AssetMatch(
            index.assets[i],
            round(float(found.scores[i]), 4),
            on_topic=is_about(
                float(index.topics[i] @ centroid), named_share(texts, index.names[i]), config
            ),
        )
        for i in order[: config.top]
    ]
    if theme.coverage == "partial":
        theme.assets[0].missing = missing_concerns(texts, member_vectors, found, config)
