"""objections.roles: stereo channels, speaker maps, configured rep names, and the heuristic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from objections import ingest, transcripts
from objections.models import Call, Role, Turn
from objections.roles import assign_roles, matches_rep

DEVSET_CALLS = Path(__file__).parents[2] / "shared" / "devset" / "shiftwise" / "calls"


def make_call(turns: list[Turn], speakers: dict[str, Role] | None = None) -> Call:
    call = Call("C-1", "c.json", "sha", "transcript", turns=turns)
    call.speakers = dict(speakers or {})
    return call


def roles(call: Call) -> dict[str, str]:
    return {t.speaker: t.role for t in call.turns}


# --- stereo ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rep_channel", [0, 1])
def test_stereo_channels_decide_and_speakers_are_renamed(rep_channel: int) -> None:
    call = make_call(
        [
            Turn("SPEAKER_00", 0.0, 1.0, "Hi, how can I help?", channel=0),
            Turn("SPEAKER_01", 1.0, 2.0, "We use spreadsheets.", channel=1),
            Turn("SPEAKER_00", 2.0, 3.0, "Our platform integrates.", channel=0),
        ]
    )
    assign_roles(call, reps=["Somebody Else"], rep_channel=rep_channel)

    expected = ["rep" if t.channel == rep_channel else "buyer" for t in call.turns]
    assert [t.role for t in call.turns] == expected
    assert [t.speaker for t in call.turns] == ["Rep" if r == "rep" else "Buyer" for r in expected]
    assert call.speakers == {"Rep": "rep", "Buyer": "buyer"}
    assert "channel" in call.roles_method and str(rep_channel) in call.roles_method


# --- the transcript's speaker map and configured rep names ---------------------------------


def test_transcript_speaker_map_wins_over_configured_names_and_heuristics() -> None:
    call = make_call(
        [
            Turn("Alex", 0.0, 1.0, "Tell me about your team. How do you currently manage it?"),
            Turn("Sam", 1.0, 2.0, "Sure."),
        ],
        speakers={"Alex": "buyer", "Sam": "rep"},
    )
    assign_roles(call, reps=["Alex"])
    assert roles(call) == {"Alex": "buyer", "Sam": "rep"}
    assert call.roles_method == "transcript speaker map"


def test_speakers_missing_from_the_map_are_buyers_once_a_rep_is_known() -> None:
    call = make_call(
        [
            Turn("Sam", 0.0, 1.0, "Hi."),
            Turn("Guest", 1.0, 2.0, "Let me show you our platform, we integrate with everything?"),
        ],
        speakers={"Sam": "rep"},
    )
    assign_roles(call, reps=[])
    assert roles(call) == {"Sam": "rep", "Guest": "buyer"}
    assert call.speakers == {"Sam": "rep", "Guest": "buyer"}
    assert call.roles_method.startswith("transcript speaker map")


@pytest.mark.parametrize(
    "label", ["Nadia Kowalski", "nadia kowalski", "NADIA", "nadia", "Nadia K."]
)
def test_configured_rep_names_match_full_or_first_name(label: str) -> None:
    call = make_call(
        [
            Turn("Omar Haddad", 0.0, 1.0, "Tell me about your platform? How do you integrate?"),
            Turn(label, 1.0, 2.0, "We use spreadsheets, my team is fine."),
        ]
    )
    assign_roles(call, reps=["Marcus Bell", "Nadia Kowalski"])
    assert roles(call) == {label: "rep", "Omar Haddad": "buyer"}
    assert call.roles_method == "configured rep names, heuristic: rep-like language"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Nadia Smith", False),  # the same first name, another person
        ("Nadia Kowalski Jr", False),
        ("Nad", False),
        ("Marcus", True),
        ("", False),
        ("  Marcus   Bell ", True),
    ],
)
def test_matches_rep_edge_cases(label: str, expected: bool) -> None:
    assert matches_rep(label, ["Nadia Kowalski", "Marcus Bell"]) is expected


def test_no_reps_configured_matches_nobody() -> None:
    assert matches_rep("Nadia Kowalski", []) is False


# --- the heuristic --------------------------------------------------------------------------

BUYER_LINES = [
    "Hi, thanks for having us.",
    "We currently do it all in spreadsheets and group texts.",
    "Honestly my team is used to that, so I'm not sure.",
    "I'd have to check with my boss on the budget.",
]
REP_LINES = [
    "Great to meet you.",
    "Tell me a bit about how you handle scheduling today?",
    "Our platform does that, and we integrate with your payroll.",
    "How many locations do you have?",
]


def test_heuristic_picks_the_speaker_who_sounds_like_a_seller() -> None:
    # The buyer speaks first, so only the language can tell them apart.
    turns = []
    for n, (buyer, rep) in enumerate(zip(BUYER_LINES, REP_LINES, strict=True)):
        turns += [
            Turn("Pat", 2.0 * n, 2.0 * n + 1, buyer),
            Turn("Lee", 2.0 * n + 1, 2.0 * n + 2, rep),
        ]
    call = assign_roles(make_call(turns), reps=[])

    assert roles(call) == {"Pat": "buyer", "Lee": "rep"}
    assert call.speakers == {"Pat": "buyer", "Lee": "rep"}
    assert "heuristic" in call.roles_method


def test_heuristic_does_not_depend_on_who_speaks_first() -> None:
    turns = []
    for n, (buyer, rep) in enumerate(zip(BUYER_LINES, REP_LINES, strict=True)):
        turns += [
            Turn("Lee", 2.0 * n, 2.0 * n + 1, rep),
            Turn("Pat", 2.0 * n + 1, 2.0 * n + 2, buyer),
        ]
    assert roles(assign_roles(make_call(turns), reps=[])) == {"Lee": "rep", "Pat": "buyer"}


def test_a_single_unknown_speaker_is_a_buyer() -> None:
    call = assign_roles(make_call([Turn("Speaker", 0.0, 1.0, "Our platform is great.")]), reps=[])
    assert roles(call) == {"Speaker": "buyer"}


# --- the heuristic measured on the devset ---------------------------------------------------


@pytest.mark.skipif(not DEVSET_CALLS.is_dir(), reason="shared devset not present")
def test_heuristic_role_accuracy_on_the_devset(tmp_path: Path) -> None:
    """Strip every call's speaker map, guess roles with no reps configured, score per sentence."""
    right = total = 0
    paths = sorted(DEVSET_CALLS.glob("*.json"))
    assert len(paths) == 24
    for source in paths:
        doc = json.loads(source.read_text())
        gold = doc.pop("speakers")
        path = tmp_path / source.name
        path.write_text(json.dumps(doc))
        call = transcripts.parse_transcript(
            path, path.read_bytes(), ingest.new_call(path, "sha", "transcript", {})
        )
        assert call.speakers == {}

        assign_roles(call, reps=[])

        assert call.roles_method == "heuristic: rep-like language"
        assert sum(r == "rep" for r in call.speakers.values()) == 1
        for turn in call.turns:
            total += len(turn.sentences)
            right += len(turn.sentences) * (turn.role == gold[turn.speaker])
    accuracy = right / total
    print(f"\nrole heuristic, sentence-level accuracy on {len(paths)} devset calls: {accuracy:.3f}")
    assert total == 1458
    assert accuracy >= 0.85
