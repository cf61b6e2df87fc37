"""objections.ingest: finding inputs, the call manifest, and every transcript format."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from objections import ingest, transcripts
from objections.errors import InputError
from objections.models import Call

DEVSET = Path(__file__).parents[2] / "shared" / "devset"
S007 = DEVSET / "shiftwise" / "calls" / "S-007.json"


def parse(tmp_path: Path, name: str, content: str | bytes) -> Call:
    path = tmp_path / name
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(data)
    return transcripts.parse_transcript(path, data, ingest.new_call(path, "sha", "transcript", {}))


def turns(call: Call) -> list[tuple[str, float, float, str]]:
    return [(t.speaker, t.start, t.end, t.text) for t in call.turns]


def touch(path: Path, content: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


# --- discover -------------------------------------------------------------------------------


def test_discover_walks_folders_and_skips_what_is_not_a_call(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    for name in ["b.vtt", "a.srt", "sub/c.json", "sub/deeper/d.MP3", "e.txt", "f.m4a"]:
        touch(calls / name)
    for name in [
        "assets/faq.vtt",  # the asset library
        "objections.toml",
        "manifest.csv",
        ".hidden.vtt",
        ".git/x.vtt",
        "notes.docx",  # unknown suffix
        "README.md",
        "objections-out/old.json",  # a previous run's output
    ]:
        touch(calls / name)
    (calls / "folder.vtt").mkdir()  # a folder, whatever its name

    found = ingest.discover([calls])

    expected = ["a.srt", "b.vtt", "e.txt", "f.m4a", "sub/c.json", "sub/deeper/d.MP3"]
    assert [p.relative_to(calls).as_posix() for p in found] == expected
    assert ingest.discover([calls]) == found  # stable


def test_discover_order_does_not_depend_on_creation_order(tmp_path: Path) -> None:
    for name in ["z.vtt", "m.srt", "a.txt"]:
        touch(tmp_path / "one" / name)
    for name in ["a.txt", "m.srt", "z.vtt"]:
        touch(tmp_path / "two" / name)
    one = [p.name for p in ingest.discover([tmp_path / "one"])]
    two = [p.name for p in ingest.discover([tmp_path / "two"])]
    assert one == two == ["a.txt", "m.srt", "z.vtt"]


def test_discover_keeps_the_order_of_the_inputs(tmp_path: Path) -> None:
    touch(tmp_path / "b" / "1.vtt")
    touch(tmp_path / "a" / "2.vtt")
    found = ingest.discover([tmp_path / "b", tmp_path / "a"])
    assert found == [tmp_path / "b" / "1.vtt", tmp_path / "a" / "2.vtt"]


def test_discover_lists_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = tmp_path / "calls"
    a, b = touch(calls / "a.vtt"), touch(calls / "b.srt")
    monkeypatch.chdir(tmp_path)
    relative = Path("calls") / "a.vtt"

    found = ingest.discover([calls, a, calls, relative, Path("calls")])

    assert found == [a, b]


def test_discover_keeps_files_named_explicitly(tmp_path: Path) -> None:
    # A file named on the command line is the user's choice; the pipeline reports it if unusable.
    notes = touch(tmp_path / "call.docx")
    assert ingest.discover([notes]) == [notes]


# --- load_manifest --------------------------------------------------------------------------


def write_manifest(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "manifest.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_manifest_rows_are_found_by_call_id_file_name_and_stem(tmp_path: Path) -> None:
    path = write_manifest(
        tmp_path,
        "call_id,file,date,account,stage,outcome\n"
        "C-1,recordings/acme.mp3,2026-11-03,Acme,demo,Lost\n"
        "C-2,,2026-11-04T10:30:00,Beta,,\n",
    )
    rows = ingest.load_manifest(path)

    acme = rows["C-1"]
    assert rows["recordings/acme.mp3"] is acme
    assert rows["acme.mp3"] is acme
    assert rows["acme"] is acme
    assert (acme.date, acme.account, acme.stage, acme.outcome) == (
        "2026-11-03",
        "Acme",
        "demo",
        "lost",
    )
    beta = rows["C-2"]
    assert (beta.date, beta.account, beta.stage, beta.outcome) == ("2026-11-04", "Beta", None, None)
    assert set(rows) == {"C-1", "recordings/acme.mp3", "acme.mp3", "acme", "C-2"}


def test_manifest_with_only_a_file_column_uses_the_stem_as_call_id(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, "file,date\ncalls/zoom-0311.vtt,2026-03-11\n,\n")
    rows = ingest.load_manifest(path)
    assert rows["zoom-0311"].call_id == "zoom-0311"
    assert rows["zoom-0311.vtt"].date == "2026-03-11"
    assert len({id(r) for r in rows.values()}) == 1  # the blank row is skipped


def test_manifest_with_bom_and_messy_headers(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, "\ufeff Call_ID , DATE ,Account\r\nX-9 , 2026-01-02 , Zed \r\n")
    row = ingest.load_manifest(path)["X-9"]
    assert (row.date, row.account) == ("2026-01-02", "Zed")


def test_manifest_new_call_takes_its_metadata(tmp_path: Path) -> None:
    rows = ingest.load_manifest(
        write_manifest(tmp_path, "file,call_id,outcome\nacme.vtt,C-1,won\n")
    )
    call = ingest.new_call(tmp_path / "acme.vtt", "sha", "transcript", rows)
    assert (call.call_id, call.outcome, call.kind) == ("C-1", "won", "transcript")
    other = ingest.new_call(tmp_path / "other.mp3", "sha", "audio", rows)
    assert (other.call_id, other.outcome, other.kind) == ("other", None, "audio")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("call_id,date\nC-1,03/11/2026\n", "bad date '03/11/2026'"),
        ("call_id,date\nC-1,2026-13-01\n", "bad date"),
        ("id,when\nC-1,2026-01-01\n", "needs a 'call_id' or 'file' column"),
        ("\n\n", "needs a 'call_id' or 'file' column"),
        (b"call_id\nC-\xff\n", "not UTF-8"),
        ('call_id\n"' + "a" * 200_000 + '"\n', "not valid CSV"),  # over csv's field limit
    ],
)
def test_bad_manifests_raise_input_error(tmp_path: Path, content: str | bytes, reason: str) -> None:
    path = write_manifest(tmp_path, content)
    with pytest.raises(InputError, match=r"manifest\.csv") as err:
        ingest.load_manifest(path)
    assert reason in err.value.reason


def test_empty_manifest_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty file"):
        ingest.load_manifest(write_manifest(tmp_path, b""))


# --- WebVTT ---------------------------------------------------------------------------------

ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.200
Nadia Kowalski: Hi Brandon, thanks for joining.

2
00:00:04.200 --> 00:00:06.000
Nadia Kowalski: How are things at the brewery?

3
00:00:06.500 --> 00:00:09.750
Brandon Teague: Busy. Summer is coming,
and we hire fifty people.

4
01:02:03.500 --> 01:02:05.000
Nadia Kowalski: Last thing.
"""


def test_zoom_vtt(tmp_path: Path) -> None:
    call = parse(tmp_path, "zoom.vtt", ZOOM_VTT)
    assert turns(call) == [
        (
            "Nadia Kowalski",
            1.0,
            6.0,
            "Hi Brandon, thanks for joining. How are things at the brewery?",
        ),
        ("Brandon Teague", 6.5, 9.75, "Busy. Summer is coming, and we hire fifty people."),
        ("Nadia Kowalski", 3723.5, 3725.0, "Last thing."),
    ]
    assert all(t.role == "unknown" and t.sentences == [] for t in call.turns)


TEAMS_VTT = """WEBVTT

NOTE Teams export, some cues split mid-sentence

1a2b/3-0
00:00:00.000 --> 00:00:02.500
<v Nadia Kowalski>Thanks for making the time.</v>

1a2b/3-1
00:00:02.500 --> 00:00:05.000 align:start position:0%
<v Nadia Kowalski>Our R&amp;D team
built this for you.</v>

c3d4/7-0
00:00:05.800 --> 00:00:08.000
<v Hailey Brooks>It&#39;s <i>really</i> pricey for us.</v>
"""


def test_teams_vtt_voice_tags(tmp_path: Path) -> None:
    call = parse(tmp_path, "teams.vtt", TEAMS_VTT)
    assert turns(call) == [
        (
            "Nadia Kowalski",
            0.0,
            5.0,
            "Thanks for making the time. Our R&D team built this for you.",
        ),
        ("Hailey Brooks", 5.8, 8.0, "It's really pricey for us."),
    ]


def test_vtt_with_crlf_and_bom_and_short_stamps(tmp_path: Path) -> None:
    text = "\ufeffWEBVTT\r\n\r\n00:01.000 --> 00:02.500\r\nSpeaker 1: Hello there.\r\n"
    call = parse(tmp_path, "short.vtt", text)
    assert turns(call) == [("Speaker 1", 1.0, 2.5, "Hello there.")]


def test_vtt_cues_without_speaker_names(tmp_path: Path) -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there\n"
    assert turns(parse(tmp_path, "anon.vtt", text)) == [("Speaker", 1.0, 2.0, "hello there")]


def test_same_speaker_cues_after_a_long_silence_stay_separate_turns(tmp_path: Path) -> None:
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAna: One.\n\n"
        "00:00:30.000 --> 00:00:31.000\nAna: Two.\n"
    )
    assert turns(parse(tmp_path, "gap.vtt", text)) == [
        ("Ana", 1.0, 2.0, "One."),
        ("Ana", 30.0, 31.0, "Two."),
    ]


# --- SRT ------------------------------------------------------------------------------------

SRT = """1
00:00:01,000 --> 00:00:03,500
Nadia: Hello, Omar.

2
00:00:03,600 --> 00:00:05,000
Nadia: Can you see my screen?

3
00:00:05,500 --> 00:00:07,250
Omar Haddad: Yes.
I can see it.
"""


def test_srt_with_names(tmp_path: Path) -> None:
    expected = [
        ("Nadia", 1.0, 5.0, "Hello, Omar. Can you see my screen?"),
        ("Omar Haddad", 5.5, 7.25, "Yes. I can see it."),
    ]
    assert turns(parse(tmp_path, "call.srt", SRT)) == expected
    assert turns(parse(tmp_path, "crlf.srt", SRT.replace("\n", "\r\n"))) == expected


# --- plain text -----------------------------------------------------------------------------


def test_plain_text_with_hh_mm_ss_stamps_and_continuation_lines(tmp_path: Path) -> None:
    text = (
        "[00:00:05] Nadia Kowalski: Thanks for joining today.\n"
        "[00:00:09] Omar Haddad: Sure.\n"
        "I only have twenty minutes though.\n"
        "\n"
        "[01:00:00] Nadia Kowalski: Understood.\n"
    )
    call = parse(tmp_path, "call.txt", text)
    assert [(t.speaker, t.start, t.text) for t in call.turns] == [
        ("Nadia Kowalski", 5.0, "Thanks for joining today."),
        ("Omar Haddad", 9.0, "Sure. I only have twenty minutes though."),
        ("Nadia Kowalski", 3600.0, "Understood."),
    ]
    # Ends are estimated at 2.5 words a second, continuation lines included.
    assert call.turns[1].end == pytest.approx(9.0 + 7 / 2.5)


def test_plain_text_with_mm_ss_stamps(tmp_path: Path) -> None:
    text = "[00:03] Ana: Hi.\n[01:30] Ben: Hello there.\n"
    call = parse(tmp_path, "call.txt", text)
    assert [(t.speaker, t.start) for t in call.turns] == [("Ana", 3.0), ("Ben", 90.0)]


def test_plain_text_without_stamps_gets_estimated_increasing_times(tmp_path: Path) -> None:
    text = (
        "Ana Ruiz: one two three four five.\n"
        "Ana Ruiz: six seven.\n"  # the same speaker again: one turn
        "Ben: ok\n"
        "  and more words here\n"
        "Ana Ruiz: bye\n"
    )
    call = parse(tmp_path, "notes.txt", text)
    assert [(t.speaker, t.text) for t in call.turns] == [
        ("Ana Ruiz", "one two three four five. six seven."),
        ("Ben", "ok and more words here"),
        ("Ana Ruiz", "bye"),
    ]
    assert [t.start for t in call.turns] == pytest.approx([0.0, 7 / 2.5, 12 / 2.5])
    assert all(t.end > t.start for t in call.turns)


def test_plain_text_without_names_is_one_speaker(tmp_path: Path) -> None:
    call = parse(tmp_path, "raw.txt", "just some words\nand more\n")
    assert turns(call) == [("Speaker", 0.0, pytest.approx(5 / 2.5), "just some words and more")]


# --- native JSON ----------------------------------------------------------------------------


@pytest.mark.skipif(not S007.exists(), reason="shared devset not present")
def test_native_json_devset_call_is_parsed_as_it_is(tmp_path: Path) -> None:
    doc = json.loads(S007.read_text())
    path = tmp_path / "export.json"  # not named after the call: the id comes from the file
    shutil.copy(S007, path)

    call = transcripts.parse_transcript(
        path, path.read_bytes(), ingest.new_call(path, "sha", "transcript", {})
    )

    assert (call.call_id, call.date, call.account, call.stage, call.outcome) == (
        "S-007",
        "2026-11-03",
        "Ridgeline Brewing Co.",
        "negotiation",
        "lost",
    )
    assert call.speakers == {
        "Nadia Kowalski": "rep",
        "Brandon Teague": "buyer",
        "Hailey Brooks": "buyer",
    }
    assert len(call.turns) == len(doc["turns"]) == 35
    for turn, raw in zip(call.turns, doc["turns"], strict=True):
        texts = [s["text"] for s in raw["sentences"]]
        assert (turn.speaker, turn.start, turn.end) == (raw["speaker"], raw["start"], raw["end"])
        assert turn.sentences == texts  # plain strings: labels are not carried
        assert turn.text == " ".join(texts)
    assert call.turns[0].sentences == [
        "Hi Brandon, hi Hailey.",
        "Thanks for getting back together.",
    ]


@pytest.mark.skipif(not S007.exists(), reason="shared devset not present")
def test_manifest_metadata_wins_over_the_json_file(tmp_path: Path) -> None:
    path = tmp_path / "S-007.json"
    shutil.copy(S007, path)
    rows = ingest.load_manifest(
        write_manifest(tmp_path, "file,call_id,date,outcome\nS-007.json,CRM-1,2026-12-01,won\n")
    )
    call = transcripts.parse_transcript(
        path, path.read_bytes(), ingest.new_call(path, "sha", "transcript", rows)
    )
    assert (call.call_id, call.date, call.outcome) == ("CRM-1", "2026-12-01", "won")
    assert call.account == "Ridgeline Brewing Co."  # the manifest left it blank


def test_json_turn_with_text_instead_of_sentences(tmp_path: Path) -> None:
    doc = {
        "date": "2026-01-05T09:00:00",
        "outcome": "Won",
        "speakers": {"Ana": "Seller", "Ben": "prospect", "Cy": "observer"},
        "turns": [
            {"speaker": "Ana", "start": 0, "end": 2.5, "text": "Hello. How are you?"},
            {"speaker": "Ben", "start": "3", "end": 4, "sentences": [{"text": "Fine."}, "Thanks."]},
            {"speaker": "Cy", "start": 5, "role": "customer", "sentences": ["Hi."]},
        ],
    }
    call = parse(tmp_path, "x.json", json.dumps(doc))
    assert call.call_id == "x"
    assert (call.date, call.outcome) == ("2026-01-05", "won")
    assert call.speakers == {"Ana": "rep", "Ben": "buyer", "Cy": "unknown"}
    assert turns(call) == [
        ("Ana", 0.0, 2.5, "Hello. How are you?"),
        ("Ben", 3.0, 4.0, "Fine. Thanks."),
        ("Cy", 5.0, 5.0, "Hi."),
    ]
    assert [t.sentences for t in call.turns] == [[], ["Fine.", "Thanks."], ["Hi."]]
    assert call.turns[2].role == "buyer"


def test_json_ignores_sentences_that_are_not_text(tmp_path: Path) -> None:
    doc = {"turns": [{"speaker": "A", "sentences": [None, 3, {"text": None}, "Real.", " "]}]}
    call = parse(tmp_path, "x.json", json.dumps(doc))
    assert call.turns[0].sentences == ["Real."]
    assert call.turns[0].text == "Real."


def test_json_turn_without_a_speaker(tmp_path: Path) -> None:
    doc = {"turns": [{"speaker": None, "text": "a"}, {"text": "b"}, {"speaker": "", "text": "c"}]}
    assert {t.speaker for t in parse(tmp_path, "x.json", json.dumps(doc)).turns} == {"Speaker"}


# --- bad inputs -----------------------------------------------------------------------------


def test_read_bytes_rejects_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.vtt"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as err:
        ingest.read_bytes(empty)
    assert (err.value.path, err.value.reason) == (str(empty), "empty file (0 bytes)")
    with pytest.raises(InputError, match="cannot read"):
        ingest.read_bytes(tmp_path / "missing.vtt")
    assert ingest.read_bytes(touch(tmp_path / "ok.txt", "hi")) == b"hi"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad.txt", b"Ana: caf\xe9 au lait\n", "not UTF-8"),
        ("bad.vtt", b"WEBVTT\n\n\xff\xfe", "not UTF-8"),
        ("bad.json", '{"turns": [', "invalid JSON"),
        ("bad.json", "[" * 100_000 + "]" * 100_000, "invalid JSON (nested too deeply)"),
        ("bad.json", '{"call_id": "x", "speakers": {}}', "needs an object with a 'turns' list"),
        ("bad.json", '[{"speaker": "A", "text": "hi"}]', "needs an object with a 'turns' list"),
        ("bad.json", '{"turns": ["hello"]}', "turn 0 is not an object"),
        ("bad.json", '{"turns": [{"text": "a", "start": "soon"}]}', "non-numeric start/end"),
        ("bad.json", '{"turns": [{"text": "a", "start": 1' + "0" * 400 + "}]}", "non-numeric"),
        ("bad.json", '{"turns": [{"text": "a", "start": NaN}]}', "not a finite number"),
        ("bad.json", '{"turns": [{"text": "a", "end": Infinity}]}', "not a finite number"),
        ("bad.json", '{"date": "last week", "turns": [{"text": "a"}]}', "bad date 'last week'"),
        ("bad.json", '{"turns": []}', "no speech"),
        ("bad.json", '{"turns": [{"speaker": "A", "sentences": []}]}', "no speech"),
        ("bad.vtt", "1\n00:00:01.000 --> 00:00:02.000\nAna: hi\n", "no WEBVTT header"),
        ("bad.vtt", "WEBVTT\n\nNOTE nothing here\n", "no cues with timings"),
        ("bad.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ana></v>\n", "no cues"),
        ("bad.srt", "1\nHello there\n\n2\nNo times at all\n", "no cues with timings"),
        ("bad.txt", " \n\t\n\n", "no speech"),
    ],
)
def test_bad_transcripts_raise_input_error_with_a_reason(
    tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    with pytest.raises(InputError) as err:
        parse(tmp_path, name, content)
    assert reason in err.value.reason
    assert err.value.path == str(tmp_path / name)
    assert str(err.value).startswith(f"{tmp_path / name}: ")


def test_finite_times_survive(tmp_path: Path) -> None:
    doc = {"turns": [{"text": "a", "start": 1e300, "end": 1}]}
    turn = parse(tmp_path, "x.json", json.dumps(doc)).turns[0]
    assert math.isfinite(turn.start) and turn.end == turn.start  # end never before start


# --- property-based: any input either parses or raises InputError ---------------------------

FUZZ = settings(max_examples=150, deadline=None)
SUFFIXES = st.sampled_from([".vtt", ".srt", ".txt", ".json", ".TXT", ".md"])


def parse_or_input_error(name: str, data: bytes) -> None:
    """The property: a Call with usable turns, or InputError; never another exception."""
    path = Path(name)
    try:
        call = transcripts.parse_transcript(path, data, Call(path.stem, name, "sha", "transcript"))
    except InputError as err:
        assert err.path == name and err.reason
        return
    assert call.turns
    assert any(t.text.strip() for t in call.turns)
    for turn in call.turns:
        assert isinstance(turn.speaker, str) and turn.speaker
        assert math.isfinite(turn.start) and math.isfinite(turn.end)
        assert turn.start <= turn.end
        assert all(isinstance(s, str) for s in turn.sentences)
    if call.date is not None:
        assert len(call.date) == 10 and call.date[4] == "-"


@FUZZ
@given(suffix=SUFFIXES, data=st.binary(max_size=400))
def test_fuzz_any_bytes(suffix: str, data: bytes) -> None:
    parse_or_input_error(f"call{suffix}", data)


@FUZZ
@given(suffix=SUFFIXES, text=st.text(max_size=400))
def test_fuzz_any_text(suffix: str, text: str) -> None:
    parse_or_input_error(f"call{suffix}", text.encode("utf-8", "surrogatepass"))


# Pieces that look like the real formats, so the fuzzing reaches past the first checks.
names = st.sampled_from(["Nadia Kowalski", "Omar", "Speaker 1", "dr. who", "", "A:B", "<v x>"])
words = st.text(
    alphabet=st.sampled_from("ab ?.!,:;'\"<>/&#\t\n-[]0123456789AZé\u2028\x00"), max_size=40
)
stamps = st.one_of(
    st.builds(
        lambda h, m, s, ms, sep: f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}",
        st.integers(0, 120),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 999),
        st.sampled_from([".", ","]),
    ),
    st.builds(lambda m, s: f"{m:02d}:{s:02d}.000", st.integers(0, 99), st.integers(0, 99)),
    st.sampled_from(["99999999999999999999:00:00.000", "1:2", "00:00:00.0", "--> ", ""]),
)


@st.composite
def cue_files(draw: st.DrawFn) -> str:
    lines = [draw(st.sampled_from(["WEBVTT", "WEBVTT - Zoom", "", "\ufeffWEBVTT", "NOTE hi"]))]
    for n in range(draw(st.integers(0, 6))):
        cue = []
        if draw(st.booleans()):
            cue.append(draw(st.sampled_from([str(n + 1), "1a2b/3-0", "NOTE", ""])))
        arrow = draw(st.sampled_from([" --> ", "-->", " -> "]))
        settings_ = draw(st.sampled_from(["", " align:start position:0%"]))
        cue.append(f"{draw(stamps)}{arrow}{draw(stamps)}{settings_}")
        for _ in range(draw(st.integers(0, 3))):
            style = draw(st.integers(0, 3))
            name, body = draw(names), draw(words)
            cue.append(
                [f"{name}: {body}", f"<v {name}>{body}</v>", body, f"<v.loud {name}>{body}"][style]
            )
        lines.append("\n".join(cue))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return (
        (newline * 2).join(lines).replace("\n", newline) if newline != "\n" else "\n\n".join(lines)
    )


@FUZZ
@given(text=cue_files(), suffix=st.sampled_from([".vtt", ".srt"]))
def test_fuzz_cue_files(text: str, suffix: str) -> None:
    parse_or_input_error(f"call{suffix}", text.encode("utf-8", "surrogatepass"))


@st.composite
def plain_files(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        stamp = draw(st.sampled_from(["", "[00:01] ", "[01:02:03] ", "[1:2] ", "[00:00:01.5] "]))
        name = draw(st.one_of(names, st.just("https"), st.just("")))
        lines.append(draw(st.sampled_from([f"{stamp}{name}: ", stamp, ""])) + draw(words))
    return "\n".join(lines)


@FUZZ
@given(text=plain_files())
def test_fuzz_plain_text(text: str) -> None:
    parse_or_input_error("call.txt", text.encode("utf-8", "surrogatepass"))


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False),  # json.dumps writes NaN/Infinity for the special values too
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["2026-11-03", "2026-02-30", "won", "rep", "buyer", "12.5"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@st.composite
def json_calls(draw: st.DrawFn) -> dict[str, object]:
    def maybe(strategy: st.SearchStrategy[object]) -> object:
        return draw(st.one_of(strategy, json_values))

    turn_keys = {
        "speaker": names,
        "start": st.floats(min_value=0, max_value=1e4),
        "end": st.floats(min_value=0, max_value=1e4),
        "text": words,
        "role": st.sampled_from(["rep", "buyer", "Seller", ""]),
        "sentences": st.lists(
            st.one_of(words, st.fixed_dictionaries({"text": words, "label": json_values})),
            max_size=3,
        ),
    }
    turn_list = st.lists(
        st.fixed_dictionaries({}, optional={k: v for k, v in turn_keys.items()}) | json_values,
        max_size=4,
    )
    doc: dict[str, object] = {"turns": maybe(turn_list)}
    for key, strategy in {
        "call_id": st.text(max_size=8),
        "date": st.sampled_from(["2026-11-03", "2026-11-03T10:00:00", "03/11/2026", ""]),
        "account": st.text(max_size=8),
        "outcome": st.sampled_from(["won", "Lost", "open"]),
        "speakers": st.dictionaries(names, st.sampled_from(["rep", "buyer", "x"]), max_size=3),
    }.items():
        if draw(st.booleans()):
            doc[key] = maybe(strategy)
    return doc


@FUZZ
@given(doc=st.one_of(json_calls(), json_values))
def test_fuzz_json(doc: object) -> None:
    parse_or_input_error("call.json", json.dumps(doc).encode())


@st.composite
def manifest_texts(draw: st.DrawFn) -> str:
    cell = st.one_of(
        words,
        st.sampled_from(["2026-11-03", "2026-11-03 10:00", "20261103", "x.mp3", "C-1", ""]),
        st.text(max_size=10),
    )
    columns = draw(
        st.lists(
            st.sampled_from(["call_id", "file", "date", "account", "stage", "outcome", " Date "])
            | st.text(max_size=6),
            max_size=6,
        )
    )
    rows = draw(st.lists(st.lists(cell, max_size=len(columns) + 2), max_size=5))
    quote = draw(st.sampled_from(["", '"']))
    render = lambda cells: ",".join(f"{quote}{c}{quote}" for c in cells)  # noqa: E731
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return bom + "\n".join([render(columns), *map(render, rows)])


@pytest.fixture(scope="module")
def manifest_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("manifests")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.one_of(manifest_texts().map(str.encode), st.binary(max_size=200)))
def test_fuzz_manifest(manifest_dir: Path, content: bytes) -> None:
    path = manifest_dir / "manifest.csv"
    path.write_bytes(content.replace(b"\xed\xa0", b"?"))
    try:
        rows = ingest.load_manifest(path)
    except InputError as err:
        assert err.path == str(path) and err.reason
        return
    for key, row in rows.items():
        assert key and row.call_id
        assert row.date is None or len(row.date) == 10
