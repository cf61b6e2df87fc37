"""Assets: PDFs in the library, re-indexing only what changed, and covered / partial / gap."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from fakes import PRICE, SECURITY, CountingEmbedder, ScriptTranscriber, write_transcript_call
from pypdf import PdfWriter

from objections import assets as assets_stage
from objections.briefs import brief_context, environment, render
from objections.config import AssetsConfig, CompanyConfig, Config
from objections.detect import KeywordDetector
from objections.models import Objection, Quote, Sentence, Theme
from objections.pipeline import Components, Pipeline, RunOptions
from objections.store import Store

# --- PDFs -----------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def minimal_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A one-page PDF with the lines as text (Helvetica), written by hand with a correct xref
    table; `title` goes in the document information dictionary."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL "
    content += " ".join(f"({_escape(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        " /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title:
        objects.append(f"<< /Title ({_escape(title)}) >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    info = f" /Info {len(objects)} 0 R" if title else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\n".encode()
    return out + f"startxref\n{xref}\n%%EOF\n".encode()


def encrypted(pdf: bytes, password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_LINES = [
    "Contract terms at a glance",
    "We offer twelve month terms as well as month to month billing for small teams. If you sell",
    "the business you can end the contract with thirty days notice. There is no seat minimum.",
]


def test_pdf_text_and_title_from_metadata(tmp_path: Path) -> None:
    (tmp_path / "contract-faq.pdf").write_bytes(minimal_pdf(PDF_LINES, title="Contract FAQ"))
    [asset] = assets_stage.load_assets(tmp_path)
    assert asset.id == "contract-faq" and asset.title == "Contract FAQ"
    # Hard-wrapped lines are joined back into sentences.
    assert "If you sell the business you can end the contract" in asset.text
    chunks = assets_stage.passages(asset)
    assert chunks[0] == "Contract FAQ" and any("seat minimum" in c for c in chunks[1:])


@pytest.mark.parametrize("metadata", [None, "Microsoft Word - terms-v3.docx"])
def test_pdf_title_from_first_heading_line(tmp_path: Path, metadata: str | None) -> None:
    (tmp_path / "terms.pdf").write_bytes(minimal_pdf(PDF_LINES, title=metadata))
    [asset] = assets_stage.load_assets(tmp_path)
    assert asset.title == "Contract terms at a glance"


def test_pdf_with_an_empty_user_password_opens(tmp_path: Path) -> None:
    (tmp_path / "open.pdf").write_bytes(encrypted(minimal_pdf(PDF_LINES), password=""))
    [asset] = assets_stage.load_assets(tmp_path)
    assert "twelve month terms" in asset.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (encrypted(minimal_pdf(PDF_LINES), password="secret"), "encrypted"),
        (b"%PDF-1.4\n" + bytes(range(256)) * 4, "not a readable PDF"),
        (b"", "not a readable PDF"),
        (minimal_pdf([]), "no text in the PDF"),
    ],
    ids=["encrypted", "corrupt", "empty", "no-text"],
)
def test_unreadable_pdf_is_one_line_and_the_rest_load(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / "bad.pdf").write_bytes(content)
    (tmp_path / "good.pdf").write_bytes(minimal_pdf(PDF_LINES, title="Good"))
    (tmp_path / "faq.md").write_text("---\ntitle: Pricing FAQ\n---\nWhat it costs.\n")
    errors: list[str] = []
    loaded = assets_stage.load_assets(tmp_path, on_error=errors.append)
    assert sorted(a.id for a in loaded) == ["faq", "good"]
    assert len(errors) == 1 and "bad.pdf" in errors[0] and reason in errors[0]
    assert "\n" not in errors[0]


@pytest.mark.parametrize(
    ("content", "reason"),
    [(encrypted(minimal_pdf(PDF_LINES), password="x"), "encrypted"), (b"%PDF-1.4 cut", "PDF")],
    ids=["encrypted", "truncated"],
)
def test_unreadable_pdf_without_a_handler_is_one_stderr_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    content: bytes,
    reason: str,
) -> None:
    (tmp_path / "locked.pdf").write_bytes(content)
    assert assets_stage.load_assets(tmp_path) == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "locked.pdf" in err[0] and reason in err[0]
    # pypdf's own warnings about the damage ("EOF marker not found") stay quiet.
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]


# --- Re-indexing only what changed ----------------------------------------------------------

ASSETS = {
    "pricing.md": "---\ntitle: Pricing FAQ\n---\nThe per seat price drops with volume. "
    "Small teams pay less per user. We can phase seats in as you grow.\n",
    "security.md": "---\ntitle: Security overview\n---\nWe hold a SOC 2 Type 2 report. Customer "
    "data stays in your region and is encrypted at rest. Auditors get read-only access.\n",
    "hiring.html": "<html><head><title>We are hiring</title></head><body><p>Join our team in "
    "Denver. We are hiring engineers.</p></body></html>",
}


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    folder.mkdir()
    for name, text in ASSETS.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    folder = tmp_path / "calls"
    folder.mkdir()
    write_transcript_call(folder / "T-1.json", "T-1", "2026-11-02", [PRICE[0], SECURITY[0]])
    write_transcript_call(folder / "T-2.json", "T-2", "2026-11-09", [PRICE[1], SECURITY[1]])
    return folder


def run_with_assets(store: Store, calls: Path, library: Path, out: Path) -> CountingEmbedder:
    embedder = CountingEmbedder()
    config = Config(company=CompanyConfig(name="Acme", reps=["Sam Seller"]))
    parts = Components(
        transcriber=ScriptTranscriber({}), embedder=embedder, detector=KeywordDetector()
    )
    Pipeline(config, store, parts).run(
        RunOptions(inputs=[calls], out=out, config=config, assets=library)
    )
    return embedder


def passage_texts(folder: Path) -> set[str]:
    return {p for a in assets_stage.load_assets(folder) for p in assets_stage.passages(a)}


def test_a_second_run_embeds_no_asset_passage(calls: Path, library: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    first = run_with_assets(store, calls, library, tmp_path / "out")
    assert first.texts_embedded >= len(passage_texts(library))  # the passages, then the calls
    second = run_with_assets(store, calls, library, tmp_path / "out")
    assert second.texts_embedded == 0


def test_changing_one_asset_embeds_only_its_new_passages(
    calls: Path, library: Path, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s.db")
    run_with_assets(store, calls, library, tmp_path / "out")
    before = passage_texts(library)
    (library / "security.md").write_text(
        "---\ntitle: Security overview\n---\nWe hold a SOC 2 Type 2 report. Data residency "
        "is configurable per workspace. Single sign-on is included on every plan.\n"
    )
    new = passage_texts(library) - before
    assert new, "the edit changes some passages"
    again = run_with_assets(store, calls, library, tmp_path / "out")
    # Unchanged passages (the title, the other assets) come from the store.
    assert again.texts_embedded == len(new)


# --- covered / partial / gap: the decision, with vectors whose answers are known -------------

DIM = 8
CONCERNS = [
    "Thirty-six months is too long a term for us.",
    "We need a way out of the contract if we sell the business.",
    "The auto-renewal clause worries me, it rolls over without us signing.",
    "The seat minimum means the bill never drops even if we shrink.",
]
SAME_AS_SECOND = "If we get acquired I can't be stuck in this contract."


def axis(i: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[i] = 1.0
    return v


def concern_vector(i: int) -> np.ndarray:
    """Concern i: a shared topic direction (axis 0) plus its own direction (axis i + 1)."""
    return 0.4 * axis(0) + 0.917 * axis(i + 1)


VECTORS = {text: concern_vector(i) for i, text in enumerate(CONCERNS)}
VECTORS[SAME_AS_SECOND] = concern_vector(1)
VECTORS["Contracts"] = axis(0)  # a title on the topic that answers nothing
VECTORS["Join our team"] = axis(7)  # off topic


def fixed_embed(texts: list[str]) -> np.ndarray:
    rows = [VECTORS[t] / np.linalg.norm(VECTORS[t]) for t in texts]
    return np.stack(rows).astype(np.float32)


class FixedIndex(assets_stage.AssetIndex):
    """An index whose passages are given, not split from text."""

    def __init__(self, library: dict[str, list[str]], types: dict[str, str] | None = None) -> None:
        kinds = types or {}
        self.assets = [assets_stage._asset(n, n, "", kinds.get(n, ""), "") for n in library]
        self.owner = [n for n, chunks in enumerate(library.values()) for _ in chunks]
        self.vectors = fixed_embed([c for chunks in library.values() for c in chunks])
        self.topics = self._topics()


TODAY = date(2026, 11, 22)
ANSWERS_ALL = {"contract-faq": ["Contracts", *CONCERNS]}
ANSWERS_ONE = {"contract-overview": ["Contracts", CONCERNS[0]]}
OFF_TOPIC = {"hiring": ["Join our team"]}


def contract_theme() -> Theme:
    texts = [*CONCERNS, SAME_AS_SECOND]
    objections = [
        Objection(Sentence("C-1", n, "Buyer", "buyer", 0, 0, t), "contract", 1.0, [])
        for n, t in enumerate(texts)
    ]
    quotes = [Quote(t, "C-1", 0, 0) for t in texts[:2]]
    return Theme("contract-term", "contract term", "contract", objections, quotes=quotes)


def matched(
    library: dict[str, list[str]],
    config: AssetsConfig | None = None,
    types: dict[str, str] | None = None,
) -> Theme:
    theme = contract_theme()
    vectors = fixed_embed([o.sentence.text for o in theme.objections])
    index = FixedIndex(library, types)
    assets_stage.match_theme(theme, vectors, index, config or AssetsConfig())
    return theme


def test_an_asset_that_answers_every_concern_covers() -> None:
    theme = matched({**ANSWERS_ALL, **ANSWERS_ONE, **OFF_TOPIC})
    assert theme.coverage == "covered"
    assert [m.asset.id for m in theme.assets] == ["contract-faq", "contract-overview", "hiring"]
    assert theme.assets[0].missing == []


def test_an_asset_on_topic_that_answers_one_concern_is_partial_with_what_it_misses() -> None:
    theme = matched({**ANSWERS_ONE, **OFF_TOPIC})
    assert theme.coverage == "partial"
    assert theme.assets[0].asset.id == "contract-overview"
    # The three unanswered concerns, each once (SAME_AS_SECOND repeats the second).
    assert sorted(theme.assets[0].missing) == sorted(CONCERNS[1:])


def test_no_asset_on_topic_is_a_gap() -> None:
    theme = matched(OFF_TOPIC)
    assert theme.coverage == "gap" and theme.assets[0].missing == []


def test_the_thresholds_come_from_config() -> None:
    assert matched(ANSWERS_ONE, AssetsConfig(on_topic=0.95)).coverage == "gap"
    assert matched(ANSWERS_ONE, AssetsConfig(unanswered_share=0.8)).coverage == "covered"
    assert matched(ANSWERS_ONE, AssetsConfig(answered=0.3)).coverage == "covered"


def test_a_blog_post_on_topic_is_not_the_answer() -> None:
    # The blog answers every concern in score, but its type needs its title to name what the
    # buyers name: the FAQ that answers one concern is judged (partial) and listed first.
    library = {"contract-blog": ["Contracts", *CONCERNS], **ANSWERS_ONE, **OFF_TOPIC}
    theme = matched(library, types={"contract-blog": "Blog"})
    assert theme.coverage == "partial"
    assert [m.asset.id for m in theme.assets] == ["contract-overview", "contract-blog", "hiring"]
    assert theme.assets[1].on_topic  # still offered as a link
    # Counted like any other type (`named_only` empty) it answers.
    only_blog = matched(library, AssetsConfig(named_only=[]), types={"contract-blog": "blog"})
    assert only_blog.coverage == "covered" and only_blog.assets[0].asset.id == "contract-blog"


def test_a_blog_type_matches_by_word_in_any_case() -> None:
    for kind in ("Blog post", "BLOG", "news-article"):
        theme = matched({"contract-blog": ["Contracts", *CONCERNS]}, types={"contract-blog": kind})
        assert theme.coverage == "gap", kind
    faq = matched({"contract-faq": ["Contracts", *CONCERNS]}, types={"contract-faq": "FAQ"})
    assert faq.coverage == "covered"


def test_listing_no_asset_is_refused(tmp_path: Path) -> None:
    from objections.config import load_config
    from objections.errors import ConfigError

    path = tmp_path / "objections.toml"
    path.write_text("[assets]\ntop = 0\n")
    with pytest.raises(ConfigError, match="top: must be at least 1"):
        load_config(path)


def test_a_blog_post_alone_on_topic_leaves_a_gap() -> None:
    theme = matched({"contract-blog": ["Contracts", *CONCERNS]}, types={"contract-blog": "blog"})
    assert theme.coverage == "gap" and theme.assets[0].asset.id == "contract-blog"


def test_a_blog_post_whose_title_names_what_buyers_name_can_answer() -> None:
    theme, vectors = competitor_theme(NAMES_IT)
    index = FixedIndex(COMPARISON, {"Acme vs Vendorly": "blog"})
    assets_stage.match_theme(theme, vectors, index, AssetsConfig())
    assert theme.coverage == "covered"


def test_title_names_are_the_proper_names_a_title_gives() -> None:
    library = [
        assets_stage._asset("vs", "Acme vs Bill.com: for teams that outgrew bill pay", "", "", ""),
        assets_stage._asset("ns", "Datasheet: the Acme connector for NetSuite", "", "", "Acme"),
        assets_stage._asset(
            "case", "Case study: Brennan Industrial cuts freight spend", "", "", "At Brennan, Acme"
        ),
        assets_stage._asset("price", "Pricing: what you pay", "", "", "Acme pricing is per bill."),
        assets_stage._asset("web", "Webinar: get ahead of tax season", "", "", "Our webinar."),
        assets_stage._asset("list", "Finish before December 31", "", "", "Close in December."),
        assets_stage._asset("hol", "Staffing for Labor Day: a checklist", "", "", "Labor Day."),
    ]
    # Acme, in every asset, is the company's own name; Datasheet, Case, Pricing and Webinar are
    # capitalised only as a title's first word; Brennan is capitalised mid-sentence in the body.
    assert assets_stage.title_names(library) == [
        ["Bill.com"],
        ["NetSuite"],
        ["Brennan", "Industrial"],
        [],
        [],
        [],  # a date is not what the page is about
        [],
    ]


def test_named_share_counts_the_name_as_written() -> None:
    texts = ["We ring everything up on Square.", "It's a square peg.", "Toast, I think."]
    assert assets_stage.named_share(texts, ["Square"]) == pytest.approx(1 / 3)
    assert assets_stage.named_share(texts, ["Square", "Toast"]) == pytest.approx(2 / 3)
    assert assets_stage.named_share(texts, []) == 0.0


def test_a_camel_case_name_counts_however_speech_recognition_spaces_it() -> None:
    texts = [
        "We're in Net suite today.",
        "netsuite posts it twice",
        "Our NetSuite setup.",
        "A net.",
    ]
    assert assets_stage.named_share(texts, ["NetSuite"]) == pytest.approx(3 / 4)
    assert assets_stage.named_share(["Some ideas.", "IDeaS sets rates."], ["IDeaS"]) == 0.5


# A comparison page that is about the competitor the buyers name, though their stories (years on
# it, the renewal discount) keep the theme's centroid below `on_topic` of the page.
COMPARISON = {"Acme vs Vendorly": ["Vendorly comparison"], "hiring": ["Join our team"]}
NAMES_IT = [
    "We've been on Vendorly since 2009 and the board reads its reports.",
    "Vendorly offered us twenty percent off to renew for three years.",
    "Our staff built their careers on Vendorly.",
    "Switching anything feels risky right now.",
]
VECTORS["Vendorly comparison"] = axis(6)
for _text in NAMES_IT:
    VECTORS[_text] = 0.5 * axis(6) + 0.866 * axis(5)  # cosine 0.5 with the page


def competitor_theme(texts: list[str]) -> tuple[Theme, np.ndarray]:
    objections = [
        Objection(Sentence("C-1", n, "Buyer", "buyer", 0, 0, t), "competitor", 1.0, [])
        for n, t in enumerate(texts)
    ]
    return Theme("vendorly", "vendorly", "competitor", objections), fixed_embed(texts)


def test_a_page_named_for_what_most_buyers_name_is_on_topic() -> None:
    theme, vectors = competitor_theme(NAMES_IT)
    assets_stage.match_theme(theme, vectors, FixedIndex(COMPARISON), AssetsConfig())
    assert theme.assets[0].asset.id == "Acme vs Vendorly" and theme.coverage == "covered"
    # Below `named` (3 of 4 name it) the centroid alone decides, and it is off topic.
    strict = AssetsConfig(named=0.8)
    assets_stage.match_theme(theme, vectors, FixedIndex(COMPARISON), strict)
    assert theme.coverage == "gap"


def test_a_name_only_a_few_buyers_use_does_not_make_the_page_on_topic() -> None:
    texts = [NAMES_IT[0], NAMES_IT[3], NAMES_IT[3], NAMES_IT[3]]
    theme, vectors = competitor_theme(texts)
    assets_stage.match_theme(theme, vectors, FixedIndex(COMPARISON), AssetsConfig())
    assert theme.coverage == "gap"


def test_the_old_coverage_settings_are_refused_with_what_replaced_them(tmp_path: Path) -> None:
    from objections.config import load_config
    from objections.errors import ConfigError

    path = tmp_path / "objections.toml"
    path.write_text("[assets]\ncovered = 0.52\npartial = 0.5\n")
    with pytest.raises(ConfigError, match=r"covered, partial \(replaced by on_topic"):
        load_config(path)
    path.write_text("[transcribe]\nspeakers = -1\n")
    with pytest.raises(ConfigError, match="speakers: must not be negative"):
        load_config(path)
    path.write_text("[transcribe]\nmin_logprob = -1.5\n")
    assert load_config(path).transcribe.min_logprob == -1.5


def test_a_partial_brief_lists_what_the_asset_misses() -> None:
    theme = matched({**ANSWERS_ONE, **OFF_TOPIC})
    context = brief_context(theme, {}, {}, "Acme", TODAY)
    assert context["missing"] == theme.assets[0].missing
    text = render(context, environment())
    assert "## What the current asset is missing" in text
    for concern in CONCERNS[1:]:
        assert concern in text
    covered = matched(ANSWERS_ALL)
    covered_text = render(brief_context(covered, {}, {}, "Acme", TODAY), environment())
    assert "is missing" not in covered_text


def test_only_assets_on_topic_are_offered_as_links() -> None:
    theme = matched({**ANSWERS_ALL, **OFF_TOPIC})
    assert [(m.asset.id, m.on_topic) for m in theme.assets] == [
        ("contract-faq", True),
        ("hiring", False),
    ]
    context = brief_context(theme, {}, {}, "Acme", TODAY)
    assert [a["asset"]["id"] for a in context["assets"]] == ["contract-faq"]


def test_a_covered_theme_gets_a_refresh_brief_naming_the_asset() -> None:
    text = render(brief_context(matched(ANSWERS_ALL), {}, {}, "Acme", TODAY), environment())
    assert "coverage: covered" in text
    assert '**Already covered** by "contract-faq"' in text
    gap_text = render(brief_context(matched(OFF_TOPIC), {}, {}, "Acme", TODAY), environment())
    assert "Already covered" not in gap_text and "## Existing assets to link" not in gap_text


# --- the same three cases with the real model and the shipped thresholds ---------------------

REAL_THEME = [
    "Honestly thirty-six months is way too long a contract term for a company our size.",
    "And if we sell the business in a year or two, I need to know we can get out of the contract.",
    "The auto-renewal clause worries me, it just rolls over for another year unless we cancel.",
    "There's a minimum number of seats in there, so the bill never goes down even if we shrink.",
    "We'd also need the right to terminate if your uptime falls below what you promised us.",
    "And our legal team will push back on the liability cap in your standard agreement.",
]
REAL_COVERS = """---
title: Contract terms FAQ
type: faq
---
**How long is the contract term?** Choose month to month, twelve months or thirty-six months;
shorter terms cost a little more per seat, and small companies usually start on twelve months.

**What if we sell the business?** A change of ownership lets you end the contract with sixty days
notice, or move it to the new owner at the same terms. You never pay out the remaining term.

**Does the contract auto-renew?** Renewal is never automatic: we ask you to confirm ninety days
before the end of the term, and without a signed renewal the contract simply ends.

**Is there a seat minimum?** No minimum. If your team shrinks, drop seats at any monthly billing
date and the bill goes down with them.

**Can we leave if the service falls short?** Yes: if uptime falls below the 99.9% in our service
level agreement two months running, you may terminate without a fee.

**Will you negotiate the liability cap?** Our legal team reviews liability caps with yours; caps
of twelve months of fees, or more for regulated industries, are common.
"""
REAL_TOUCHES = """---
title: How long should your contract term be?
type: one-pager
---
# How long should your contract term be?

We offer contract terms of twelve months or thirty-six months. A thirty-six month contract term
has the lowest price, and a twelve month term suits a company that is still growing. Most
customers our size sign a twelve month contract term to start. Whichever term you choose, the
contract is one short agreement your team can review in an afternoon.
"""
REAL_OFF_TOPIC = """---
title: We are hiring in Denver
type: blog
---
# Join our engineering team in Denver

We are hiring backend engineers and designers. Our office is near Union Station, with a bike
room and lunch on Fridays. Apply on our careers page.
"""


@pytest.mark.real
def test_real_model_covered_partial_and_gap(tmp_path: Path) -> None:
    from objections.config import EmbedConfig
    from objections.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(EmbedConfig())
    outcomes = {}
    for name, files in {
        "covered": {"faq.md": REAL_COVERS, "terms.md": REAL_TOUCHES, "hiring.md": REAL_OFF_TOPIC},
        "partial": {"terms.md": REAL_TOUCHES, "hiring.md": REAL_OFF_TOPIC},
        # The same page as a blog post: on topic, but a blog must name what buyers name.
        "blog": {
            "terms.md": REAL_TOUCHES.replace("one-pager", "blog"),
            "hiring.md": REAL_OFF_TOPIC,
        },
        "gap": {"hiring.md": REAL_OFF_TOPIC},
    }.items():
        folder = tmp_path / name
        folder.mkdir()
        for file, text in files.items():
            (folder / file).write_text(text)
        index = assets_stage.AssetIndex(assets_stage.load_assets(folder), embedder.embed)
        objections = [
            Objection(Sentence("C-1", n, "B", "buyer", 0, 0, t), "contract", 1.0, [])
            for n, t in enumerate(REAL_THEME)
        ]
        theme = Theme("t", "contract", "contract", objections)
        assets_stage.match_theme(theme, embedder.embed(REAL_THEME), index, AssetsConfig())
        outcomes[name] = theme
    assert outcomes["covered"].coverage == "covered"
    assert outcomes["covered"].assets[0].asset.id == "faq"
    assert outcomes["partial"].coverage == "partial"
    missing = outcomes["partial"].assets[0].missing
    # The term length is answered; auto-renewal, the seat minimum and termination are not.
    # (MiniLM takes "get out of the contract" as near enough to a page about contract terms.)
    assert REAL_THEME[0] not in missing
    assert {REAL_THEME[2], REAL_THEME[3], REAL_THEME[4]} <= set(missing)
    assert outcomes["gap"].coverage == "gap"
    assert outcomes["blog"].coverage == "gap" and outcomes["blog"].assets[0].on_topic
