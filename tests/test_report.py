"""Report stage: HTML page, terminal table and CSV from a themes.json-shaped dict (no browser)."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from objections.report import (
    audio_href,
    format_table,
    format_timestamp,
    json_for_script,
    render_html,
    safe_href,
    write_csv,
    write_html,
)

XSS_TEXT = 'So <script>alert(1)</script> and <img src=x onerror="window.__xss=1"> price.'


def make_doc(audio_dir: Path | None = None) -> dict[str, Any]:
    """A themes.json document with three themes: a covered price theme, a partial competitor
    theme and a security gap whose quote carries an XSS payload."""
    audio = str(audio_dir / "S-007.ogg") if audio_dir else None

    def quote(text: str, call_id: str, start: float, account: str | None) -> dict[str, Any]:
        return {"text": text, "call_id": call_id, "start": start, "end": start + 9.5,
                "account": account, "audio": audio}  # fmt: skip

    return {
        "generated_at": "2026-11-22T19:00:00Z",
        "company": "Shiftwise",
        "period": {"since": "2026-10-26", "until": "2026-11-20"},
        "calls": 24,
        "objections": 115,
        "weeks": ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"],
        "themes": [
            {
                "id": "t-3f9a2c",
                "rank": 1,
                "label": "Per-employee price for seasonal staff",
                "category": "price",
                "mentions": 12,
                "calls": 10,
                "accounts": 9,
                "lost_deals": 3,
                "score": 31.5,
                "score_parts": {
                    "calls": 10.0,
                    "accounts": 9.0,
                    "mentions": 6.0,
                    "lost": 4.5,
                    "recency": 2.0,
                },
                "trend": "growing",
                "previous_mentions": 4,
                "weekly": {"2026-10-26": 2, "2026-11-02": 5, "2026-11-16": 5},
                "keywords": ["summer headcount", "per seat"],
                "competitors": ["7shifts"],
                "quotes": [
                    quote("We triple our headcount every summer.", "S-007", 35.7, "Ridgeline")
                ],
                "assets": [
                    {
                        "id": "faq-active-employee-billing",
                        "title": "Active-employee billing",
                        "url": "https://shiftwise.example/faq/billing",
                        "score": 0.71,
                    }
                ],
                "coverage": "covered",
                "brief_type": "faq",
                "brief": None,
            },
            {
                "id": "t-77b1e0",
                "rank": 2,
                "label": "Already on Deputy, switching pain",
                "category": "competitor",
                "mentions": 8,
                "calls": 6,
                "accounts": 6,
                "lost_deals": 1,
                "score": 20.0,
                "score_parts": {},
                "trend": "steady",
                "previous_mentions": 7,
                "weekly": {"2026-11-09": 8},
                "keywords": ["migration"],
                "competitors": ["Deputy"],
                "quotes": [
                    quote("Moving off Deputy mid-season is a nightmare.", "S-011", 125.0, None)
                ],
                "assets": [
                    {
                        "id": "cmp-deputy",
                        "title": "Shiftwise vs Deputy",
                        "url": "https://shiftwise.example/vs/deputy",
                        "score": 0.52,
                    }
                ],
                "coverage": "partial",
                "brief_type": "comparison",
                "brief": None,
            },
            {
                "id": "t-0c4d11",
                "rank": 3,
                "label": "SSO and data residency questions",
                "category": "security",
                "mentions": 5,
                "calls": 4,
                "accounts": 4,
                "lost_deals": 0,
                "score": 9.25,
                "score_parts": {},
                "trend": "new",
                "previous_mentions": 0,
                "weekly": {"2026-11-16": 5},
                "keywords": ["SSO", "EU hosting"],
                "competitors": [],
                "quotes": [quote(XSS_TEXT, "S-019", 3725.2, "Acme & Sons")],
                "assets": [],
                "coverage": "gap",
                "brief_type": "faq",
                "brief": "briefs/t-0c4d11-sso-data-residency.md",
            },
        ],
        "other": {"mentions": 3, "quotes": [quote("Not sure yet.", "S-002", 12.0, None)]},
    }


class _Tags(HTMLParser):
    """Collects (tag, attrs) of every start tag."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_headline_figures_and_labels() -> None:
    html = render_html(make_doc())
    for fig, value in (("calls", 24), ("objections", 115), ("themes", 3), ("gaps", 1)):
        assert re.search(rf'id="fig-{fig}">\s*{value}\s*<', html), fig
    assert "Shiftwise" in html
    assert "Per-employee price for seasonal staff" in html
    assert "7shifts" in html
    assert "growing ↑ (was 4)" in html
    assert "Gap — brief to write" in html
    assert 'href="briefs/t-0c4d11-sso-data-residency.md"' in html
    assert 'href="https://shiftwise.example/faq/billing"' in html
    assert "0.71" in html


def test_page_is_self_contained() -> None:
    html = render_html(make_doc())
    tags = parse_tags(html)
    for tag, attrs in tags:
        if tag in ("script", "link", "img", "iframe", "audio", "video", "source", "object"):
            for name in ("src", "href", "data"):
                value = attrs.get(name) or ""
                assert not value.startswith(("http://", "https://", "//")), (tag, attrs)
    assert not any(tag in ("link", "img", "iframe") for tag, _ in tags)
    assert "@import" not in html
    assert "url(" not in html
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv"))
    assert csp is not None
    assert "default-src 'none'" in csp
    assert "@media print" in html
    assert "@media (max-width: 700px)" in html


def test_inline_script_matches_its_csp_hash() -> None:
    import base64
    import hashlib

    html = render_html(make_doc())
    body = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(body) == 1
    digest = base64.b64encode(hashlib.sha256(body[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in html


def test_quote_text_is_escaped_everywhere() -> None:
    html = render_html(make_doc())
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Acme &amp; Sons" in html
    # The JSON block cannot close its <script> early and still parses back to the same data.
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert data is not None
    assert "<" not in data.group(1)
    assert ">" not in data.group(1)
    assert json.loads(data.group(1)) == make_doc()


def test_json_for_script_escapes_markup_chars() -> None:
    text = str(json_for_script({"q": "</script><!-- & -->"}))
    assert text == '{"q": "\\u003c/script\\u003e\\u003c!-- \\u0026 --\\u003e"}'
    assert json.loads(text) == {"q": "</script><!-- & -->"}


def test_quotes_link_to_audio_at_timestamp(tmp_path: Path) -> None:
    html = render_html(make_doc(audio_dir=tmp_path))
    uri = (tmp_path / "S-007.ogg").as_uri()
    assert f'href="{uri}#t=35.7"' in html
    assert "0:35" in html
    assert "62:05" in html
    assert "2:05" in html
    assert format_timestamp(0) == "0:00"
    assert format_timestamp(59.99) == "0:59"
    assert audio_href("calls/a b.ogg", 61) == "calls/a%20b.ogg#t=61"
    assert audio_href(None, 3) is None


def test_unsafe_asset_url_is_neutralised() -> None:
    doc = make_doc()
    doc["themes"][0]["assets"][0]["url"] = "javascript:alert(1)"
    hrefs = [a.get("href") or "" for _, a in parse_tags(render_html(doc))]
    assert not any("javascript" in h.lower() for h in hrefs)
    assert "#" in hrefs
    assert safe_href(" JavaScript:alert(1)") == "#"
    assert safe_href("https://x.example/a") == "https://x.example/a"


def test_sparklines_and_chart_are_inline_svg() -> None:
    html = render_html(make_doc())
    assert html.count('class="spark"') == 3
    assert "Weekly mentions: 2026-10-26: 2, 2026-11-02: 5, 2026-11-09: 0, 2026-11-16: 5" in html
    assert "Top 3 themes, mentions per week" in html
    assert html.count("<polyline") == 3 + 3


def test_controls_and_filter_targets() -> None:
    html = render_html(make_doc())
    assert '<select id="category">' in html
    assert 'id="search"' in html
    for cat in ("price", "competitor", "security"):
        assert f'<option value="{cat}">{cat}</option>' in html
    assert html.count('data-theme-id="t-3f9a2c"') == 2  # table row and detail card
    assert "innerHTML" not in html


def test_empty_doc_renders() -> None:
    doc = make_doc()
    doc.update(themes=[], weeks=[], other={"mentions": 0, "quotes": []}, calls=0, objections=0)
    html = render_html(doc)
    assert "No objection themes found" in html
    assert format_table(doc) == "No objection themes.\n"


def test_minimal_contract_doc_renders() -> None:
    """A themes.json with only the contract's original fields still renders."""
    doc = {"generated_at": "2026-11-22T19:00:00Z", "calls": 2, "themes": [
        {"id": "t-1", "rank": 1, "label": "Too pricey", "category": "price", "mentions": 2,
         "calls": 2, "accounts": 1, "score": 3.0, "trend": "new", "keywords": [],
         "competitors": [], "quotes": [{"text": "Too pricey.", "call_id": "c1", "start": 1.0,
                                        "end": 2.0}],
         "assets": [], "coverage": "gap", "brief_type": "faq", "brief": None}]}  # fmt: skip
    html = render_html(doc)
    assert "Too pricey" in html
    assert "Gap — brief to write" in html
    assert "GAP" in format_table(doc)


def test_user_template_dir_overrides(tmp_path: Path) -> None:
    (tmp_path / "report.html.j2").write_text(
        "<p>custom {{ company }}: {{ summary.themes }} themes {{ themes[2].quotes[0].text }}</p>"
    )
    html = render_html(make_doc(), template_dirs=[tmp_path])
    assert html.startswith("<p>custom Shiftwise: 3 themes So &lt;script&gt;")
    # An unrelated folder falls through to the shipped template.
    assert "Ranked themes" in render_html(make_doc(), template_dirs=[tmp_path / "missing"])


def test_write_html(tmp_path: Path) -> None:
    out = write_html(make_doc(), tmp_path / "out" / "report.html")
    assert out == tmp_path / "out" / "report.html"
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_format_table_in_rank_order_with_gap() -> None:
    doc = make_doc()
    doc["themes"].reverse()  # order comes from `rank`, not list position
    table = format_table(doc, width=200)
    labels = [t["label"] for t in sorted(doc["themes"], key=lambda t: t["rank"])]
    positions = [table.index(label) for label in labels]
    assert positions == sorted(positions)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["#", "Theme", "Category"]
    assert "GAP" in lines[4]
    assert "Active-employee billing" in lines[2]
    assert "covered" in lines[2]
    assert "growing" in lines[2]


def test_format_table_width_and_top() -> None:
    table = format_table(make_doc(), width=80)
    assert all(len(line) <= 80 for line in table.splitlines())
    assert "…" in table
    top = format_table(make_doc(), top=1)
    assert "Per-employee price" in top
    assert "Deputy" not in top
    assert "2 more theme(s)" in top


def test_write_csv_round_trips() -> None:
    buf = io.StringIO(newline="")
    write_csv(make_doc(), buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue(), newline="")))
    assert [r["id"] for r in rows] == ["t-3f9a2c", "t-77b1e0", "t-0c4d11"]
    first = rows[0]
    assert first["label"] == "Per-employee price for seasonal staff"
    assert first["mentions"] == "12"
    assert first["score"] == "31.5"
    assert first["lost_deals"] == "3"
    assert first["keywords"] == "summer headcount; per seat"
    assert first["competitors"] == "7shifts"
    assert first["asset_id"] == "faq-active-employee-billing"
    assert first["asset_url"] == "https://shiftwise.example/faq/billing"
    assert rows[2]["coverage"] == "gap"
    assert rows[2]["asset_id"] == ""
    assert rows[2]["brief"] == "briefs/t-0c4d11-sso-data-residency.md"


def test_the_asset_to_send_is_the_one_listed_first_not_the_highest_score() -> None:
    # The coverage was judged on the FAQ; a blog post outscores it but may not answer (it lists
    # second), so the table and the CSV send the FAQ.
    doc = make_doc()
    blog = {"id": "blog-holiday-tips", "title": "Holiday staffing tips", "url": "", "score": 0.9}
    doc["themes"][0]["assets"].append(blog)
    assert "Holiday staffing" not in format_table(doc, width=200)
    buf = io.StringIO(newline="")
    write_csv(doc, buf)
    first = next(csv.DictReader(io.StringIO(buf.getvalue(), newline="")))
    assert first["asset_id"] == "faq-active-employee-billing"
