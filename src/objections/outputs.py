"""Outputs: themes.json, objections.jsonl and themes.csv, the output contract of PRODUCT.md (the
report and the briefs have their own modules)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from objections import report
from objections.models import Call, Objection, Theme
from objections.rank import weekly_counts


def theme_entry(theme: Theme, calls: dict[str, Call]) -> dict[str, Any]:
    """One theme as themes.json writes it (the output contract of PRODUCT.md)."""
    return {
        "id": theme.id,
        "rank": theme.rank,
        "label": theme.label,
        "category": theme.category,
        "mentions": theme.mentions,
        "calls": theme.calls,
        "accounts": theme.accounts,
        "lost_deals": theme.lost_deals,
        "score": theme.score,
        "score_parts": theme.score_parts,
        "trend": theme.trend,
        "previous_mentions": theme.previous_mentions,
        "weekly": weekly_counts(theme, calls),
        "keywords": theme.keywords,
        "competitors": theme.competitors,
        "quotes": [quote_entry(q, calls) for q in theme.quotes],
        "assets": [
            {
                "id": m.asset.id,
                "title": m.asset.title,
                "url": m.asset.url,
                "score": m.score,
                "missing": m.missing,
                "on_topic": m.on_topic,
            }
            for m in theme.assets
        ],
        "coverage": theme.coverage,
        "brief_type": theme.brief_type,
        "brief": theme.brief_path,
    }


def quote_entry(quote: Any, calls: dict[str, Call]) -> dict[str, Any]:
    call = calls.get(quote.call_id)
    audio = call.source if call and call.kind == "audio" else None
    return {"text": quote.text, "call_id": quote.call_id, "start": quote.start, "end": quote.end,
            "account": call.account if call else None, "audio": audio}  # fmt: skip


def objection_entry(objection: Objection, calls: dict[str, Call]) -> dict[str, Any]:
    s = objection.sentence
    return {
        "call_id": s.call_id,
        "source": calls[s.call_id].source,
        "speaker": s.speaker,
        "role": s.role,
        "start": s.start,
        "end": s.end,
        "text": s.text,
        "category": objection.category,
        "confidence": objection.confidence,
        "theme_id": objection.theme_id,
        "competitors": objection.competitors,
    }


def write_outputs(out: Path, doc: dict[str, Any], objections: list[dict[str, Any]]) -> None:
    """themes.json, objections.jsonl and themes.csv (the report is written separately)."""
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    (out / "themes.json").write_text(text, encoding="utf-8")
    with (out / "objections.jsonl").open("w", encoding="utf-8") as fh:
        for entry in objections:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    with (out / "themes.csv").open("w", encoding="utf-8", newline="") as fh:
        report.write_csv(doc, fh)
