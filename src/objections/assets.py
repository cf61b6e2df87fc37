"""Assets: read the team's existing content and say which asset answers each theme.

An asset is split into passages, so a long page matches on the part that answers the concern.
A theme's score for an asset is the mean, over the theme's objections, of the best passage
similarity: an asset that answers most buyers scores higher than one that echoes a few words.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from objections.config import AssetsConfig
from objections.errors import ConfigError
from objections.models import Asset, AssetMatch, Coverage, Theme
from objections.sentences import split_text

EmbedFn = Callable[[list[str]], np.ndarray]
PASSAGE_SENTENCES = 3


def load_assets(path: Path) -> list[Asset]:
    """Assets from a folder of Markdown/HTML files or from a CSV of title, url, type, summary."""
    if not path.exists():
        raise ConfigError(f"{path}: assets path not found")
    if path.is_file():
        return _from_csv(path)
    assets = []
    for file in sorted(path.rglob("*")):
        if file.suffix.lower() in (".md", ".markdown", ".html", ".htm") and file.is_file():
            text = file.read_text(encoding="utf-8", errors="replace")
            parse = _from_html if file.suffix.lower() in (".html", ".htm") else _from_markdown
            assets.append(parse(file.stem, text))
        elif file.suffix.lower() == ".csv":
            assets.extend(_from_csv(file))
    return assets


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
    windows = [asset.title]
    step = max(1, PASSAGE_SENTENCES - 1)
    for i in range(0, max(1, len(sentences) - 1), step):
        windows.append(" ".join(sentences[i : i + PASSAGE_SENTENCES]))
    return [w for w in windows if w.strip()]


class AssetIndex:
    """Passage vectors for every asset, embedded once."""

    def __init__(self, assets: list[Asset], embed: EmbedFn) -> None:
        self.assets = assets
        self.owner: list[int] = []
        texts: list[str] = []
        for n, asset in enumerate(assets):
            chunks = passages(asset)
            texts.extend(chunks)
            self.owner.extend([n] * len(chunks))
        self.vectors = embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)

    def scores(self, member_vectors: np.ndarray) -> np.ndarray:
        """Per asset: mean over members of the best passage similarity."""
        if not self.assets or len(member_vectors) == 0:
            return np.zeros(len(self.assets))
        sims = member_vectors @ self.vectors.T
        owner = np.asarray(self.owner)
        best = np.stack([sims[:, owner == a].max(axis=1) for a in range(len(self.assets))])
        return best.mean(axis=1)


def match_theme(
    theme: Theme, member_vectors: np.ndarray, index: AssetIndex, config: AssetsConfig
) -> None:
    """Set the theme's best assets and its coverage."""
    scores = index.scores(member_vectors)
    order = np.argsort(-scores)[: config.top]
    theme.assets = [AssetMatch(index.assets[i], round(float(scores[i]), 4)) for i in order]
    theme.coverage = coverage(coverage_score(scores), config)


def coverage_score(scores: np.ndarray) -> float:
    """The best asset's score plus twice its lead over the runner-up. An asset that answers a
    concern stands out from the rest of the library; one that only shares the topic does not,
    and raw similarity alone overlaps between the two."""
    if len(scores) == 0:
        return 0.0
    ranked = np.sort(scores)[::-1]
    lead = ranked[0] - ranked[1] if len(ranked) > 1 else ranked[0]
    return float(ranked[0] + 2 * lead)


def coverage(score: float, config: AssetsConfig) -> Coverage:
    if score >= config.covered:
        return "covered"
    if score >= config.partial:
        return "partial"
    return "gap"
