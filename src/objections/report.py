"""Report stage: the sales lead's HTML page, a terminal table and a CSV, all from themes.json.

Every function here reads one plain dict, `doc`, shaped like the themes.json the pipeline writes
(the output contract). Optional fields that older files lack are treated as empty.

The HTML page is a single self-contained file: CSS, JS and the data inline, no request to the
network. Quote text is buyer speech and untrusted: Jinja2 autoescapes it, the embedded JSON has
`<`, `>` and `&` escaped, the JS only toggles `hidden` on server-rendered elements, and a
Content-Security-Policy allows nothing but the page's own inline script (by hash) and styles.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

TEMPLATE_NAME = "report.html.j2"
SHIPPED_TEMPLATES = Path(__file__).parent / "templates"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 2")
SAFE_SCHEMES = frozenset({"", "http", "https", "mailto", "file"})
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CSV_FIELDS = (
    "rank", "id", "label", "category", "mentions", "calls", "accounts", "lost_deals", "score",
    "trend", "previous_mentions", "coverage", "brief_type", "brief", "keywords", "competitors",
    "asset_id", "asset_title", "asset_url", "asset_score",
)  # fmt: skip


# ---------------------------------------------------------------- small formatting helpers


def format_timestamp(seconds: float | None) -> str:
    """Seconds from the call's start as m:ss (minutes may exceed 59)."""
    minutes, secs = divmod(max(0, int(seconds or 0)), 60)
    return f"{minutes}:{secs:02d}"


def _seconds_fragment(seconds: float | None) -> str:
    return f"{float(seconds or 0):.1f}".rstrip("0").rstrip(".")


def audio_href(audio: str | None, start: float | None) -> str | None:
    """A link that opens the recording at `start` (a media fragment `#t=`), or None."""
    if not audio:
        return None
    if "://" in audio:
        base = audio
    else:
        path = Path(audio)
        base = path.as_uri() if path.is_absolute() else quote(path.as_posix())
    return f"{base}#t={_seconds_fragment(start)}"


def safe_href(url: str | None) -> str:
    """The URL if its scheme is harmless (no `javascript:` and the like), else `#`."""
    if not url:
        return "#"
    return url if urlsplit(url.strip()).scheme.lower() in SAFE_SCHEMES else "#"


def _csp_hash(script: str) -> Markup:
    """The CSP source for an inline script: `'sha256-...'` (base64 and quotes: safe markup)."""
    digest = hashlib.sha256(str(script).encode("utf-8")).digest()
    return Markup("'sha256-" + base64.b64encode(digest).decode("ascii") + "'")


def json_for_script(data: Any) -> Markup:
    """JSON safe to inline in a `<script type="application/json">` block."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    return Markup(text)


def _short_date(iso: str) -> str:
    try:
        return f"{MONTHS[int(iso[5:7]) - 1]} {int(iso[8:10])}"
    except (ValueError, IndexError):
        return iso


# ---------------------------------------------------------------- view model


def ranked_themes(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The themes in rank order (by `rank`, then as listed)."""
    themes = list(doc.get("themes") or [])
    return sorted(themes, key=lambda t: t.get("rank") or len(themes) + 1)


def top_asset(theme: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The asset to send for a covered or partial theme (listed first: the one the coverage was
    judged on, though a blog post may outscore it); None for a gap."""
    assets = theme.get("assets") or []
    if theme.get("coverage") in ("covered", "partial") and assets:
        first: Mapping[str, Any] = assets[0]
        return first
    return None


def report_weeks(doc: Mapping[str, Any]) -> list[str]:
    """The period's weeks; derived from the themes' weekly counts when `weeks` is missing."""
    if doc.get("weeks"):
        return list(doc["weeks"])
    return sorted({week for t in doc.get("themes") or [] for week in t.get("weekly") or {}})


def _trend_text(theme: Mapping[str, Any]) -> str:
    trend = theme.get("trend") or "steady"
    previous = theme.get("previous_mentions")
    if trend == "new" or previous is None:
        return str(trend)
    arrow = {"growing": " ↑", "fading": " ↓"}.get(trend, "")
    return f"{trend}{arrow} (was {previous})"


def sparkline(values: Sequence[int], width: int = 96, height: int = 24) -> dict[str, Any] | None:
    """Polyline points for a small inline SVG of weekly counts; None when there are no weeks."""
    if not values:
        return None
    pad, peak, n = 3.0, max(max(values), 1), len(values)
    step = (width - 2 * pad) / (n - 1) if n > 1 else 0.0
    xy = [
        (pad + i * step if n > 1 else width / 2, height - pad - v / peak * (height - 2 * pad))
        for i, v in enumerate(values)
    ]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    return {"width": width, "height": height, "points": points, "last": xy[-1], "peak": peak}


def _quote_view(quote_: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **quote_,
        "timestamp": format_timestamp(quote_.get("start")),
        "href": audio_href(quote_.get("audio"), quote_.get("start")),
    }


def _theme_view(theme: Mapping[str, Any], weeks: Sequence[str]) -> dict[str, Any]:
    weekly = theme.get("weekly") or {}
    values = [int(weekly.get(week, 0)) for week in weeks]
    asset = top_asset(theme)
    return {
        **theme,
        "keywords": theme.get("keywords") or [],
        "competitors": theme.get("competitors") or [],
        "quotes": [_quote_view(q) for q in theme.get("quotes") or []],
        "asset": asset,
        "asset_href": safe_href(asset.get("url")) if asset else None,
        "trend": theme.get("trend") or "steady",
        "trend_text": _trend_text(theme),
        "weekly_values": values,
        "weekly_title": ", ".join(f"{w}: {v}" for w, v in zip(weeks, values, strict=True)),
        "spark": sparkline(values),
    }


def trend_chart(
    themes: Sequence[Mapping[str, Any]], weeks: Sequence[str], top: int = 5
) -> dict[str, Any] | None:
    """Geometry of the line chart of the top themes' weekly mentions; None without weeks."""
    if not weeks or not themes:
        return None
    width, height, left, right, top_pad, bottom = 760, 240, 40, 32, 12, 30
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    chosen = themes[:top]
    table = [[int((t.get("weekly") or {}).get(w, 0)) for w in weeks] for t in chosen]
    peak = max([max(row) for row in table] + [1])
    n = len(weeks)

    def x(i: int) -> float:
        return left + (i * plot_w / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top_pad + plot_h - v / peak * plot_h

    series = [
        {
            "label": t.get("label", ""),
            "rank": t.get("rank"),
            "color": PALETTE[i % len(PALETTE)],
            "dash": DASHES[i % len(DASHES)],
            "points": " ".join(f"{x(j):.1f},{y(v):.1f}" for j, v in enumerate(row)),
            "dots": [(round(x(j), 1), round(y(v), 1), v, weeks[j]) for j, v in enumerate(row)],
        }
        for i, (t, row) in enumerate(zip(chosen, table, strict=True))
    ]
    every = max(1, -(-n // 10))  # at most ~10 week labels
    x_labels = [(round(x(i), 1), _short_date(w)) for i, w in enumerate(weeks) if i % every == 0]
    y_ticks = sorted({0, (peak + 1) // 2, peak})
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "series": series,
        "x_labels": x_labels,
        "y_ticks": [(round(y(v), 1), v) for v in y_ticks],
    }


def report_context(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the template needs; `doc` itself is passed too for user templates."""
    weeks = report_weeks(doc)
    themes = ranked_themes(doc)
    views = [_theme_view(t, weeks) for t in themes]
    other = doc.get("other") or {}
    period = doc.get("period") or {}
    return {
        "doc": doc,
        "company": doc.get("company") or "",
        "generated_at": doc.get("generated_at") or "",
        "since": period.get("since"),
        "until": period.get("until"),
        "summary": {
            "calls": doc.get("calls", 0),
            "objections": doc.get("objections", sum(t.get("mentions", 0) for t in themes)),
            "themes": len(themes),
            "gaps": sum(1 for t in themes if t.get("coverage") == "gap"),
        },
        "themes": views,
        "categories": sorted({str(t["category"]) for t in themes if t.get("category")}),
        "weeks": weeks,
        "chart": trend_chart(themes, weeks),
        "other": {
            "mentions": other.get("mentions", 0),
            "quotes": [_quote_view(q) for q in other.get("quotes") or []],
        },
        "data_json": json_for_script(doc),
    }


# ---------------------------------------------------------------- HTML


def _autoescape(name: str | None) -> bool:
    return name is None or name.endswith((".html", ".htm", ".xml", ".html.j2", ".htm.j2"))


def make_environment(template_dirs: Sequence[Path | str] = ()) -> Environment:
    """Jinja2 environment: the user's folders first, then the templates shipped here."""
    loaders = [FileSystemLoader(str(d)) for d in template_dirs]
    loaders.append(FileSystemLoader(str(SHIPPED_TEMPLATES)))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["csp_hash"] = _csp_hash
    env.filters["timestamp"] = format_timestamp
    env.filters["safe_href"] = safe_href
    return env


def render_html(doc: Mapping[str, Any], template_dirs: Sequence[Path | str] = ()) -> str:
    """The report as one self-contained HTML page."""
    template = make_environment(template_dirs).get_template(TEMPLATE_NAME)
    return template.render(**report_context(doc))


def write_html(
    doc: Mapping[str, Any], path: Path, template_dirs: Sequence[Path | str] = ()
) -> Path:
    """Render the report to `path` (UTF-8), creating its folder; returns `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(doc, template_dirs), encoding="utf-8")
    return path


# ---------------------------------------------------------------- terminal table


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _table_rows(themes: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for t in themes:
        asset = top_asset(t)
        send = str(asset.get("title") or asset.get("id") or "") if asset else "GAP"
        rows.append(
            (
                str(t.get("rank", "")),
                str(t.get("label", "")),
                str(t.get("category", "")),
                str(t.get("mentions", 0)),
                str(t.get("calls", 0)),
                str(t.get("trend", "")),
                str(t.get("coverage", "")),
                send,
            )
        )
    return rows


def format_table(doc: Mapping[str, Any], top: int | None = None, width: int = 100) -> str:
    """Ranked themes as a plain-text table no wider than `width` (labels truncated)."""
    themes = ranked_themes(doc)
    shown = themes if top is None else themes[: max(0, top)]
    if not shown:
        return "No objection themes.\n"
    header = ("#", "Theme", "Category", "Mentions", "Calls", "Trend", "Coverage", "Send")
    rows = _table_rows(shown)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    room = width - 2 * (len(header) - 1) - sum(w for i, w in enumerate(widths) if i not in (1, 7))
    if widths[1] + widths[7] > room:
        widths[7] = min(widths[7], max(8, room // 3))
        widths[1] = max(8, room - widths[7])
    right = {0, 3, 4}
    lines = []
    for row in [header, *rows]:
        cells = [
            _fit(c, w).rjust(w) if i in right else _fit(c, w).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    if len(shown) < len(themes):
        lines.append(f"… {len(themes) - len(shown)} more theme(s)")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- CSV


def _csv_row(theme: Mapping[str, Any]) -> dict[str, Any]:
    row = {name: theme.get(name) for name in CSV_FIELDS[:14]}
    assets = theme.get("assets") or []
    best = assets[0] if assets else {}  # the judged asset leads (see top_asset)
    row.update(
        keywords="; ".join(theme.get("keywords") or []),
        competitors="; ".join(theme.get("competitors") or []),
        asset_id=best.get("id"),
        asset_title=best.get("title"),
        asset_url=best.get("url"),
        asset_score=best.get("score"),
    )
    return row


def write_csv(doc: Mapping[str, Any], fp: TextIO) -> None:
    """One row per theme, in rank order: scalar fields, joined lists and the top asset.

    Open `fp` with `newline=""` as the csv module asks.
    """
    writer = csv.DictWriter(fp, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for theme in ranked_themes(doc):
        writer.writerow(_csv_row(theme))
