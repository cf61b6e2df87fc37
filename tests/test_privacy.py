"""Privacy and output safety: personal data never leaves the store unredacted, a forgotten call
is gone from every stored run, file names made from data stay in the output folder, and buyer
text is escaped wherever it lands."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from fakes import (
    PRICE,
    SECURITY,
    CountingEmbedder,
    ScriptTranscriber,
    stereo_turns,
    write_audio_stub,
    write_transcript_call,
)
from hypothesis import given
from hypothesis import strategies as st

from objections import cli as cli_module
from objections.briefs import brief_path, inside, slug
from objections.cli import main
from objections.config import CompanyConfig, Config, PrivacyConfig
from objections.detect import KeywordDetector
from objections.errors import ConfigError, ObjectionsError
from objections.forget import published_texts, purge_run
from objections.pipeline import Components, Pipeline, RunOptions
from objections.redact import iban_valid, luhn_valid, mask_names, name_pattern, redact
from objections.store import Store, text_key

Invoke = Callable[[list[str]], SimpleNamespace]

# --- the redaction function ------------------------------------------------------------------

REDACTED = [
    ("Call me at 555-867-5309 tomorrow.", "Call me at [phone] tomorrow."),
    ("My cell is (555) 867-5309.", "My cell is [phone]."),
    ("It's 555.867.5309 or 5558675309.", "It's [phone] or [phone]."),
    ("Dial +1 555 867 5309 or 1-800-555-0199.", "Dial [phone] or [phone]."),
    ("The office is +44 20 7946 0958.", "The office is [phone]."),
    (
        "From abroad 0044 20 7946 0958, locally 020 7946 0958.",
        "From abroad [phone], locally [phone].",
    ),
    ("En France 06 12 34 56 78.", "En France [phone]."),
    ("Berlin: +49 (30) 1234567.", "Berlin: [phone]."),
    ("Extension 555-1234.", "Extension [phone]."),
    ("It's five five five, eight six seven, five three oh nine.", "It's [phone]."),
    ("Email dana.whitfield@acme-corp.com today.", "Email [email] today."),
    ("Write to J.Doe+ap@mail.example.co.uk.", "Write to [email]."),
    ("It's dana dot whitfield at acme dot com.", "It's [email]."),
    ("My email is dana at acme dot com.", "My email is [email]."),
    ("Card 4111 1111 1111 1111, expires soon.", "Card [card], expires soon."),
    ("Card 5500-0000-0000-0004.", "Card [card]."),
    ("Amex 378282246310005 on file.", "Amex [card] on file."),
    ("My SSN is 123-45-6789.", "My SSN is [ssn]."),
    ("IBAN GB82 WEST 1234 5698 7654 32 please.", "IBAN [iban] please."),
    ("Pay DE89370400440532013000 now.", "Pay [iban] now."),
]
KEPT = [
    "We paid $12,000 in 2026 for 40 seats.",
    "The renewal is on 2026-11-02 at 10:30.",
    "Version 2.4.1 costs 0.5% per 1,000 invoices.",
    "The 2025-2026 budget covers 250 users in 3 locations.",
    "Our PO number is 123456 and the quote was 4111 1111 1111 1112.",  # 6 digits; Luhn fails
    "One, two, three steps and we're done.",
    "It's 24/7 support, 365 days a year.",
    "SOC 2 Type II and ISO 27001 are table stakes.",
    "We looked at acme.com and bill.com already.",
    "GB82 WEST is not an account number.",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_personal_data_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


def test_checksums() -> None:
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert not luhn_valid("0000 0000 0000")  # too short for a card
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid(
        "GB82 WEST 1234 5698 7654 33"
    )


@given(st.lists(st.integers(0, 9), min_size=12, max_size=18), st.sampled_from([" ", "-", ""]))
def test_any_luhn_valid_card_number_is_redacted(digits: list[int], sep: str) -> None:
    # Complete the number with its Luhn check digit, then group it in fours.
    check = next(d for d in range(10) if luhn_valid("".join(map(str, [*digits, d]))))
    number = "".join(map(str, [*digits, check]))
    grouped = sep.join(number[i : i + 4] for i in range(0, len(number), 4))
    out = redact(f"my card is {grouped} thanks")
    assert number not in re.sub(r"\D", "", out)
    assert "[card]" in out or "[phone]" in out or "[iban]" in out


@given(st.text(max_size=200))
def test_redaction_is_idempotent_and_never_grows_digits(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    assert sum(c.isdigit() for c in once) <= sum(c.isdigit() for c in text)


@pytest.mark.parametrize(
    "text",
    ["a." * 30000 + "@", "a dot " * 10000, "a dot a at " * 6000, "five " * 20000,
     "+1 " * 20000, "1 " * 30000, "GB82 " + "ABCD " * 10000, "email is " * 5000],
)  # fmt: skip
def test_redaction_stays_linear_on_pathological_text(text: str) -> None:
    """A transcript line with no sentence breaks can be long; no pattern may backtrack on it."""
    start = time.perf_counter()
    redact(text)
    assert time.perf_counter() - start < 1.0


def test_names_are_masked_as_names() -> None:
    names = name_pattern(["Dana Whitfield", "Sam Seller", "Speaker 2", "channel 1", "Rep",
                          "jane@acme.com", "Nadia K. (Acme)"])  # fmt: skip
    assert names is not None
    text = "Dana said DANA WHITFIELD's team and Whitfield agree; ask Sam or Nadia."
    assert mask_names(text, names) == (
        "[name] said [name]'s team and [name] agree; ask [name] or [name]."
    )
    # Role words, other capitalisations of common words and substrings stay.
    kept = "The rep and the buyer, a seller, Samantha and sandal, speaker 2 on channel 1."
    assert mask_names(kept, names) == kept
    assert name_pattern(["Rep", "Speaker 1", "channel 0", ""]) is None


# --- end to end: nothing personal in any output file --------------------------------------

PHONE, EMAIL, CARD = "555-867-5309", "dana.whitfield@acme-corp.com", "4111 1111 1111 1111"
PII_OBJECTIONS = [
    f"Honestly the price per seat is too expensive, call me at {PHONE} before we cancel.",
    f"The cost per user is too high, email {EMAIL} if you can do better on price.",
    f"I already gave the card {CARD} but the price is too expensive for what we budgeted.",
    "Security is going to be a problem, Sam, we're using Dana's spreadsheet until Dana Buyer "
    "sees SOC 2 and encryption.",
]
# Every form the data could take in a file: as said, and with its separators gone.
LEAKS = [PHONE, "8675309", "867-5309", EMAIL, "dana.whitfield", "acme-corp.com", CARD,
         "4111111111111111", "41111111"]  # fmt: skip


def pipeline_for(store: Store, privacy: PrivacyConfig, scripts: dict | None = None) -> Pipeline:
    config = Config(company=CompanyConfig(name="Acme", reps=["Sam Seller"]), privacy=privacy)
    parts = Components(
        transcriber=ScriptTranscriber(scripts or {}),
        embedder=CountingEmbedder(),
        detector=KeywordDetector(),
    )
    return Pipeline(config, store, parts)


@pytest.fixture
def pii_calls(tmp_path: Path) -> Path:
    folder = tmp_path / "calls"
    folder.mkdir()
    write_transcript_call(folder / "P-1.json", "P-1", "2026-11-02", PII_OBJECTIONS[:2])
    write_transcript_call(folder / "P-2.json", "P-2", "2026-11-09", PII_OBJECTIONS[2:] + PRICE[:1])
    write_transcript_call(folder / "P-3.json", "P-3", "2026-11-10", PRICE[1:3] + SECURITY[:2])
    return folder


def all_output(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in out.rglob("*")
            if p.is_file()}  # fmt: skip


def test_personal_data_never_reaches_an_output_file(pii_calls: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipeline = pipeline_for(Store(tmp_path / "s.db"), PrivacyConfig())
    pipeline.run(RunOptions(inputs=[pii_calls], out=out, config=pipeline.config))
    files = all_output(out)
    assert {"objections.jsonl", "themes.json", "themes.csv", "report.html"} <= files.keys()
    assert any(name.startswith("briefs/") for name in files)
    for name, text in files.items():
        for leak in LEAKS:
            assert leak not in text, f"{leak!r} leaked into {name}"
    rows = [json.loads(line) for line in files["objections.jsonl"].splitlines()]
    said = " ".join(r["text"] for r in rows)
    assert "[phone]" in said and "[email]" in said and "[card]" in said
    doc = json.loads(files["themes.json"])
    quoted = json.dumps(doc["themes"]) + json.dumps(doc["other"])
    assert "[phone]" in quoted or "[email]" in quoted or "[card]" in quoted
    assert "[phone]" in files["report.html"] or "[card]" in files["report.html"]
    briefs = " ".join(t for n, t in files.items() if n.startswith("briefs/"))
    assert re.search(r"\[(phone|email|card)\]", briefs), "briefs quote the redacted text"


def test_the_store_keeps_what_was_said(tmp_path: Path) -> None:
    """Audio transcripts are stored as heard; only what is published is redacted."""
    folder = tmp_path / "calls"
    folder.mkdir()
    write_audio_stub(folder / "a.wav")
    scripts = {"a.wav": stereo_turns([("rep", "Tell me more."), ("buyer", PII_OBJECTIONS[0])])}
    store = Store(tmp_path / "s.db")
    pipeline = pipeline_for(store, PrivacyConfig(), scripts)
    pipeline.run(RunOptions(inputs=[folder], out=tmp_path / "out", config=pipeline.config))
    sha = next(iter(pipeline.calls.values())).sha256
    turns = store.transcript(sha, "fake-transcriber:v1")
    assert turns and PHONE in " ".join(t.text for t in turns)
    assert PHONE not in (tmp_path / "out" / "objections.jsonl").read_text()


def test_redaction_can_be_turned_off(pii_calls: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipeline = pipeline_for(Store(tmp_path / "s.db"), PrivacyConfig(redact=False))
    pipeline.run(RunOptions(inputs=[pii_calls], out=out, config=pipeline.config))
    assert PHONE in (out / "objections.jsonl").read_text()


def test_mask_names_hides_speakers_and_named_people(pii_calls: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    privacy = PrivacyConfig(mask_names=True, names=["Whitfield"])
    pipeline = pipeline_for(Store(tmp_path / "s.db"), privacy)
    pipeline.run(RunOptions(inputs=[pii_calls], out=out, config=pipeline.config))
    rows = [json.loads(line) for line in (out / "objections.jsonl").open()]
    assert {r["speaker"] for r in rows} == {"[name]"}, "speaker names are masked"
    for name, text in all_output(out).items():
        for person in ("Dana", "Sam", "Whitfield"):
            assert not re.search(rf"\b{person}\b", text), f"{person} in {name}"
    assert any("[name]" in r["text"] for r in rows)
    assert not any("[name]" in c or "Dana" in c for r in rows for c in r["competitors"])


def test_names_are_kept_by_default(pii_calls: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipeline = pipeline_for(Store(tmp_path / "s.db"), PrivacyConfig())
    pipeline.run(RunOptions(inputs=[pii_calls], out=out, config=pipeline.config))
    rows = [json.loads(line) for line in (out / "objections.jsonl").open()]
    assert "Dana Buyer" in {r["speaker"] for r in rows}


def test_privacy_settings_are_read_from_the_config(tmp_path: Path) -> None:
    from objections.config import load_config

    path = tmp_path / "objections.toml"
    path.write_text('[privacy]\nredact = false\nmask_names = true\nnames = ["Kim"]\n')
    config = load_config(path)
    assert (config.privacy.redact, config.privacy.mask_names, config.privacy.names) == (
        False, True, ["Kim"],
    )  # fmt: skip
    path.write_text("[privacy]\nredact = 1\n")
    with pytest.raises(ConfigError, match="redact"):
        load_config(path)


# --- objections forget ------------------------------------------------------------------------


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    def build(config, store, progress=None, log=lambda m: None):  # type: ignore[no-untyped-def]
        parts = Components(embedder=CountingEmbedder(), detector=KeywordDetector())
        return Pipeline(config, store, parts, progress, log)

    monkeypatch.setattr(cli_module, "Pipeline", build)


@pytest.fixture
def invoke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Callable[[list[str]], SimpleNamespace]:
    """Run the CLI as the console script does (`main`: exit codes, one-line errors)."""

    def run(args: list[str]) -> SimpleNamespace:
        monkeypatch.setenv("OBJECTIONS_DB", str(tmp_path / "s.db"))
        monkeypatch.setattr("sys.argv", ["objections", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        return SimpleNamespace(
            exit_code=exit_info.value.code, stdout=captured.out, stderr=captured.err,
            output=captured.out + captured.err,
        )  # fmt: skip

    return run


FORGET_ME = [
    "Honestly the per seat price for Forgetme Corp is just too expensive for a team our size.",
    "Our security team will want a SOC 2 report and I'm worried about the Forgetme data.",
    "How does the Forgetme pricing work when we add another location?",
]


@pytest.mark.usefixtures("fake_models")
def test_forget_removes_a_call_from_the_store_and_every_run(tmp_path: Path, invoke: Invoke) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    write_transcript_call(calls / "F-1.json", "F-1", "2026-11-02", FORGET_ME)
    write_transcript_call(calls / "K-1.json", "K-1", "2026-11-03", [PRICE[1], SECURITY[1]])
    write_transcript_call(calls / "K-2.json", "K-2", "2026-11-10", [PRICE[2], SECURITY[2]])
    out = tmp_path / "out"
    assert invoke(["run", str(calls), "--out", str(out), "-q"]).exit_code == 0
    before = json.loads(invoke(["status", "--json"]).stdout)
    shown = invoke(["report", "--json", "--out", str(tmp_path / "r")]).stdout
    assert "F-1" in shown and "Forgetme" in shown, "the call is quoted before it is forgotten"

    result = invoke(["forget", "F-1"])
    assert result.exit_code == 0, result.output
    assert "forgot F-1: removed 1 call record(s)" in result.stdout

    after = json.loads(invoke(["status", "--json"]).stdout)
    assert after["calls"] == before["calls"] - 1
    assert after["embeddings"] < before["embeddings"]
    assert after["forgotten"] == 1
    shown = invoke(["report", "--json", "--out", str(tmp_path / "r")])
    assert shown.exit_code == 0
    doc = json.loads(shown.stdout)
    assert "Forgetme" not in shown.stdout and all(
        q["call_id"] != "F-1" for t in doc["themes"] for q in t["quotes"]
    )
    assert "Forgetme" not in (tmp_path / "r" / "report.html").read_text()
    regenerated = invoke(["briefs", "--out", str(tmp_path / "b"), "--force"])
    assert regenerated.exit_code == 0
    for brief in (tmp_path / "b" / "briefs").glob("*.md"):
        assert "Forgetme" not in brief.read_text() and "F-1" not in brief.read_text()


@pytest.mark.usefixtures("fake_models")
def test_a_forgotten_call_is_skipped_by_later_runs(tmp_path: Path, invoke: Invoke) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    write_transcript_call(calls / "F-1.json", "F-1", "2026-11-02", FORGET_ME)
    write_transcript_call(calls / "K-1.json", "K-1", "2026-11-03", [PRICE[1], SECURITY[1]])
    invoke(["run", str(calls), "--out", str(tmp_path / "o"), "-q"])
    invoke(["forget", "F-1"])
    again = invoke(["run", str(calls), "--out", str(tmp_path / "o2")])
    assert again.exit_code == 0, again.output
    assert "forgotten" in again.stderr and "F-1.json" in again.stderr
    assert "Forgetme" not in json.dumps(
        [json.loads(line) for line in (tmp_path / "o2" / "objections.jsonl").open()]
    )
    assert json.loads(invoke(["status", "--json"]).stdout)["calls"] == 1


@pytest.mark.usefixtures("fake_models")
def test_forget_an_unknown_call_is_a_clear_error(
    tmp_path: Path, pii_calls: Path, invoke: Invoke
) -> None:
    invoke(["run", str(pii_calls), "--out", str(tmp_path / "o"), "-q"])
    result = invoke(["forget", "NOPE-9"])
    assert result.exit_code == 2
    assert "no call 'NOPE-9'" in result.output


def test_forget_drops_a_calls_sentences_from_what_an_asset_is_missing() -> None:
    gone, kept = "Our auditors want the SLA in writing.", "Who owns the data export?"
    run = {
        "doc": {"themes": [{"quotes": [], "assets": [{"id": "faq", "missing": [gone, kept]}]}]},
        "briefs": [{"context": {"quotes": [], "missing": [gone, kept]}}],
        "sources": {"calls": {"C-1": "abc"}, "texts": {"C-1": [text_key(gone)]}},
    }
    assert published_texts(run["doc"], run["briefs"]).count(gone) == 2
    changed, _ = purge_run(run, "C-1", "abc")
    assert changed
    assert run["doc"]["themes"][0]["assets"][0]["missing"] == [kept]
    assert run["briefs"][0]["context"]["missing"] == [kept]


def test_forget_keeps_embeddings_another_call_shares(tmp_path: Path) -> None:
    """The same sentence said on two calls is embedded once; forgetting one call keeps it."""
    calls = tmp_path / "calls"
    calls.mkdir()
    write_transcript_call(calls / "A-1.json", "A-1", "2026-11-02", [PRICE[0], SECURITY[0]])
    write_transcript_call(calls / "B-1.json", "B-1", "2026-11-03", [PRICE[0], SECURITY[1]])
    store = Store(tmp_path / "s.db")
    pipeline = pipeline_for(store, PrivacyConfig())
    pipeline.run(RunOptions(inputs=[calls], out=tmp_path / "o", config=pipeline.config))
    shared = store.embeddings([store_key(PRICE[0])], "fake-embedder:v1")
    assert shared
    from objections.forget import forget

    removed = forget(store, "A-1")
    assert removed["calls"] == 1 and removed["embeddings"] >= 1
    assert store.embeddings([store_key(PRICE[0])], "fake-embedder:v1"), "B-1 still needs it"
    assert not store.embeddings([store_key(SECURITY[0])], "fake-embedder:v1")
    with pytest.raises(ObjectionsError, match="no call 'A-1'"):
        forget(store, "A-1")


class CategoryEmbedder(CountingEmbedder):
    id = "fake-category-embedder:v1"


@pytest.mark.parametrize("own_vectors", [False, True], ids=["stock", "category-model"])
def test_forget_removes_the_embeddings_the_detector_made_of_masked_sentences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_vectors: bool
) -> None:
    """The classifier's category model embeds each objection again, competitor names masked
    (with the embedder, or with its own category model): those vectors belong to the call as
    well, and go with it."""
    from objections.competitors import mask_competitors
    from objections.detect import ClassifierDetector
    from objections.forget import forget

    monkeypatch.setenv("OBJECTIONS_CACHE", str(tmp_path / "cache"))
    said = "Honestly we're on Rivalsoft and it does the same thing for less, so why switch?"
    calls = tmp_path / "calls"
    calls.mkdir()
    write_transcript_call(calls / "A-1.json", "A-1", "2026-11-02", [said, PRICE[0]])
    store = Store(tmp_path / "s.db")
    config = Config(
        company=CompanyConfig(name="Acme", reps=["Sam Seller"], competitors=["Rivalsoft"])
    )
    config.detect.threshold = 0.0  # every buyer sentence is an objection, so it is categorised
    embedder = CountingEmbedder()
    category = CategoryEmbedder() if own_vectors else None
    parts = Components(ScriptTranscriber({}), embedder, category_embedder=category)
    pipeline = Pipeline(config, store, parts)
    assert isinstance(pipeline.detector, ClassifierDetector)
    pipeline.run(RunOptions(inputs=[calls], out=tmp_path / "o", config=config))
    masked = store_key(mask_competitors(said, ["Rivalsoft"]))
    model_id = (category or embedder).id
    assert store.embeddings([masked], model_id)
    forget(store, "A-1")
    assert not store.embeddings([masked], model_id)


def store_key(text: str) -> str:
    from objections.store import text_key

    return text_key(text)


# --- output safety ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    ["../../etc/passwd", "..", "/etc/passwd", "CON", "nul", "a" * 300, "é" * 300, "\x00evil",
     "..\\..\\windows\\system32", "Price: ../../../../tmp/x", "", "   ", "価格"],
)  # fmt: skip
def test_brief_file_names_stay_in_the_briefs_folder(label: str, tmp_path: Path) -> None:
    folder = tmp_path / "briefs"
    folder.mkdir()
    path = brief_path(folder, "t-abc123", label)
    assert path.parent == folder and path.resolve().is_relative_to(folder.resolve())
    assert re.fullmatch(r"t-abc123-[a-z0-9-]{1,50}\.md", path.name), path.name
    assert len(path.name.encode()) < 255
    assert slug(label) not in {"", ".", ".."}
    inside(path, folder)


def test_a_path_outside_the_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ObjectionsError, match="outside"):
        inside(tmp_path / "briefs" / ".." / ".." / "x.md", tmp_path / "briefs")


@pytest.mark.usefixtures("fake_models")
def test_hostile_call_ids_and_labels_write_only_inside_the_out_folder(
    tmp_path: Path, invoke: Invoke
) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    for n, hostile in enumerate(["../../escape", "/etc/passwd", "<script>alert(1)</script>"]):
        write_transcript_call(calls / f"H-{n}.json", hostile, "2026-11-02", [PRICE[n], SECURITY[n]])
    (calls / "manifest.csv").write_text("file,call_id\nH-0.json,../../../../tmp/owned\n")
    out = tmp_path / "work" / "out"
    result = invoke(["run", str(calls), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    outside = [p for p in written if not p.is_relative_to(out) and not p.is_relative_to(calls)
               and p.name not in {"s.db", "s.db-wal", "s.db-shm", "s.db.lock"}]  # fmt: skip
    assert outside == []
    html = (out / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html


def test_a_script_in_a_quote_lands_escaped_in_briefs_and_report(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    evil = "The price is too expensive <script>alert('x')</script> for our team size."
    write_transcript_call(calls / "X-1.json", "X-1", "2026-11-02", [evil, PRICE[0]])
    write_transcript_call(calls / "X-2.json", "X-2", "2026-11-03", [PRICE[1], PRICE[2]])
    out = tmp_path / "out"
    pipeline = pipeline_for(Store(tmp_path / "s.db"), PrivacyConfig())
    pipeline.run(RunOptions(inputs=[calls], out=out, config=pipeline.config))
    briefs = [p.read_text() for p in (out / "briefs").glob("*.md")]
    assert any("&lt;script&gt;" in b for b in briefs), "the quote is in a brief, escaped"
    assert not any("<script" in b for b in briefs)
    html = (out / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_markup_in_manifest_fields_lands_escaped_in_briefs(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    write_transcript_call(calls / "A-1.json", "A-1", "2026-11-02", PRICE[:2])
    write_transcript_call(calls / "A-2.json", "A-2", "2026-11-03", PRICE[2:])
    manifest = tmp_path / "manifest.csv"
    manifest.write_text('call_id,account\nA-1,"<img src=x onerror=alert(1)>"\n')
    out = tmp_path / "out"
    pipeline = pipeline_for(Store(tmp_path / "s.db"), PrivacyConfig())
    pipeline.run(RunOptions([calls], out, pipeline.config, manifest=manifest))
    assert "<img" not in (out / "report.html").read_text()
    assert not any("<img" in p.read_text() for p in (out / "briefs").glob("*.md"))


@pytest.mark.usefixtures("fake_models")
def test_templates_load_only_from_the_shipped_and_given_folders(
    tmp_path: Path, invoke: Invoke
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    calls = tmp_path / "calls"
    calls.mkdir()
    write_transcript_call(calls / "A-1.json", "A-1", "2026-11-02", PRICE[:2])
    write_transcript_call(calls / "A-2.json", "A-2", "2026-11-03", PRICE[2:])
    for attempt in ['{% include "../secret.txt" %}', '{% include "/' + str(secret) + '" %}',
                    '{% extends "../../secret.txt" %}']:  # fmt: skip
        mine = tmp_path / "mine"
        mine.mkdir(exist_ok=True)
        (mine / "faq.md.j2").write_text(attempt)
        out = tmp_path / "out"
        result = invoke(["run", str(calls), "--out", str(out), "--templates", str(mine), "-q"])
        assert result.exit_code == 2, result.output
        assert "template not found" in result.output
        assert not any("TOP SECRET" in p.read_text() for p in out.rglob("*.md"))
    missing = invoke(["run", str(calls), "--templates", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_a_store_from_before_forget_migrates_and_can_forget(tmp_path: Path) -> None:
    """A store written by the first schema: no text links, no run sources. `forget` still finds
    the call's embeddings (from its stored transcript) and its quotes (by call id)."""
    import sqlite3

    from objections.forget import forget
    from objections.store import MIGRATIONS, text_key

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN;{MIGRATIONS[0]};PRAGMA user_version=1;COMMIT;")
    turns = [{"speaker": "channel 1", "start": 0.0, "end": 3.0, "text": PRICE[0], "role": "buyer",
              "sentences": [], "channel": 1}]  # fmt: skip
    db.execute("INSERT INTO calls VALUES ('abc', 'OLD-1', 'old.wav', 'audio', NULL, NULL, NULL,"
               " NULL, 'now')")  # fmt: skip
    db.execute("INSERT INTO transcripts VALUES ('abc', 'whisper', ?, 'now')", (json.dumps(turns),))
    db.execute("INSERT INTO embeddings VALUES (?, 'minilm', x'00000000')", (text_key(PRICE[0]),))
    doc = {
        "themes": [
            {
                "id": "t-1",
                "quotes": [
                    {"text": PRICE[0], "call_id": "OLD-1"},
                    {"text": PRICE[1], "call_id": "NEW-2"},
                ],
            }
        ]
    }
    brief = {"theme_id": "t-1", "path": "briefs/t-1-price.md",
             "context": {"objection": PRICE[0], "quotes": doc["themes"][0]["quotes"],
                         "questions": [], "buyer_questions": [], "competitors": []}}  # fmt: skip
    db.execute(
        "INSERT INTO runs (started_at, finished_at, summary, doc, briefs) VALUES"
        " ('now', 'now', '{}', ?, ?)",
        (json.dumps(doc), json.dumps([brief])),
    )
    db.commit()
    db.close()

    store = Store(path)
    removed = forget(store, "OLD-1")
    assert removed == {"calls": 1, "transcripts": 1, "embeddings": 1, "quotes": 1, "runs": 1}
    last = store.last_run()
    assert last is not None
    assert [q["call_id"] for q in last["doc"]["themes"][0]["quotes"]] == ["NEW-2"]
    assert last["briefs"][0]["context"]["objection"] == PRICE[1]
    assert store.counts()["forgotten"] == 1 and store.is_forgotten("abc")
