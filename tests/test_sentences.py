"""objections.sentences: splitting turns into sentences, timing them, and their context."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from objections.models import Call, Turn
from objections.sentences import call_sentences, split_text

# --- split_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Okay. So what?", ["Okay.", "So what?"]),
        ("Really? Yes! Fine.", ["Really?", "Yes!", "Fine."]),
        (
            "I talked to Dr. Patel about it. She agreed.",
            ["I talked to Dr. Patel about it.", "She agreed."],
        ),
        (
            "Some tools, e.g. Deputy, do that. Not us.",
            ["Some tools, e.g. Deputy, do that.", "Not us."],
        ),
        ("We sell in the U.S. Mostly on the coast.", ["We sell in the U.S. Mostly on the coast."]),
        ("It is 3.5 dollars. That is a lot.", ["It is 3.5 dollars.", "That is a lot."]),
        ("Version 2.0 shipped. 3 more to go.", ["Version 2.0 shipped.", "3 more to go."]),
        ("Mr. Smith and Ms. Jones came.", ["Mr. Smith and Ms. Jones came."]),
        ("Talk to J. Doe. He knows.", ["Talk to J. Doe.", "He knows."]),
        ("see no. 5 here", ["see no. 5 here"]),
        ("It's line No. 5 on the quote.", ["It's line No. 5 on the quote."]),
        ("No. We are fine.", ["No.", "We are fine."]),
        ('He said "no." Then he left.', ['He said "no."', "Then he left."]),
        ("It costs (about 3.5 dollars.) Okay?", ["It costs (about 3.5 dollars.)", "Okay?"]),
        ('We asked. "Why?" they said.', ["We asked.", '"Why?" they said.']),
        ("lower case. after a stop", ["lower case. after a stop"]),
        ("  spaced   out.\n\nNew line. ", ["spaced out.", "New line."]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_text(text: str, expected: list[str]) -> None:
    assert split_text(text) == expected


def test_split_text_keeps_an_unpunctuated_run_on_whole() -> None:
    text = "so yeah we looked at it and um the price is just you know a lot for us"
    assert split_text(text) == [text]


def check_lossless(text: str) -> None:
    pieces = split_text(text)
    assert " ".join(pieces) == " ".join(text.split())
    assert all(p and p == p.strip() for p in pieces)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_split_text_never_drops_or_reorders_characters(text: str) -> None:
    check_lossless(text)


sentence_like = st.lists(
    st.one_of(
        st.sampled_from(
            ["Okay", "so", "Dr", "e.g", "U.S", "No", "3.5", "It's", "A", "i.e", "(", ")", '"', "'"]
        ),
        st.text(alphabet="abcXYZ019", min_size=1, max_size=6),
    ).flatmap(lambda w: st.sampled_from([w, w + ".", w + "?", w + "!", w + '."', w + ".)"])),
    max_size=40,
).flatmap(
    lambda ws: st.lists(
        st.sampled_from([" ", "  ", "\n", "\t "]), min_size=len(ws), max_size=len(ws)
    ).map(lambda gaps: "".join(w + g for w, g in zip(ws, gaps, strict=True)))
)


@settings(max_examples=300, deadline=None)
@given(sentence_like)
def test_split_text_is_lossless_on_sentence_like_text(text: str) -> None:
    check_lossless(text)


# --- call_sentences -------------------------------------------------------------------------


def make_call(*turns: Turn) -> Call:
    return Call("C-1", "c.vtt", "sha", "transcript", turns=list(turns))


def test_sentences_are_timed_in_order_inside_their_turn() -> None:
    turn = Turn(
        "Ben", 10.0, 20.0, "First one here. Second. And the third one is long.", role="buyer"
    )
    sentences = call_sentences(make_call(turn))

    assert [s.text for s in sentences] == [
        "First one here.",
        "Second.",
        "And the third one is long.",
    ]
    assert sentences[0].start == 10.0
    assert sentences[-1].end == 20.0
    for s in sentences:
        assert 10.0 <= s.start < s.end <= 20.0
    for before, after in itertools.pairwise(sentences):
        assert before.end == pytest.approx(after.start, abs=0.01)
    # Longer sentences get more of the turn's time.
    durations = [s.end - s.start for s in sentences]
    assert durations[2] > durations[0] > durations[1]
    assert [(s.index, s.call_id, s.speaker, s.role) for s in sentences] == [
        (0, "C-1", "Ben", "buyer"),
        (1, "C-1", "Ben", "buyer"),
        (2, "C-1", "Ben", "buyer"),
    ]


def test_given_sentences_are_kept_as_they_are() -> None:
    given_ = ["Dr. No. Yes it is.", "ok  then"]  # split_text would cut the first in two
    turn = Turn("Ana", 0.0, 4.0, "ignored when sentences are given", sentences=given_)
    sentences = call_sentences(make_call(turn))
    assert [s.text for s in sentences] == given_
    assert sentences[0].start == 0.0 and sentences[1].end == 4.0


def test_context_is_the_previous_turn_of_another_speaker() -> None:
    call = make_call(
        Turn("Rep", 0.0, 2.0, "What do you use today?"),
        Turn("Buyer", 2.0, 4.0, "Spreadsheets."),
        Turn("Buyer", 4.0, 6.0, "And it is too expensive. Honestly."),
        Turn("Rep", 6.0, 8.0, "Got it."),
        Turn("Other", 8.0, 9.0, "Me too."),
    )
    by_text = {s.text: s.context for s in call_sentences(call)}
    assert by_text == {
        "What do you use today?": "",
        "Spreadsheets.": "What do you use today?",
        # the same speaker's next turn still answers the rep
        "And it is too expensive.": "What do you use today?",
        "Honestly.": "What do you use today?",
        "Got it.": "And it is too expensive. Honestly.",  # the buyer's latest turn
        "Me too.": "Got it.",
    }


def test_indexes_run_across_the_whole_call_and_empty_turns_add_nothing() -> None:
    call = make_call(
        Turn("A", 0.0, 1.0, "One. Two."),
        Turn("B", 1.0, 1.0, "   "),
        Turn("A", 1.0, 3.0, "Three."),
    )
    sentences = call_sentences(call)
    assert [(s.index, s.text) for s in sentences] == [(0, "One."), (1, "Two."), (2, "Three.")]
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)


def test_turns_count_each_side_separately_and_segments_stay_one_turn() -> None:
    call = make_call(
        Turn("Rep", 0.0, 2.0, "What do you use today?", role="rep"),
        Turn("Ana", 2.0, 3.0, "Spreadsheets.", role="buyer"),
        Turn("Ana", 3.0, 4.0, "Too pricey anyway.", role="buyer"),  # a second ASR segment
        Turn("Bo", 4.0, 5.0, "Agreed.", role="buyer"),  # another buyer, same side
        Turn("Rep", 5.0, 6.0, "Fair.", role="rep"),
        Turn("Ana", 6.0, 7.0, "So what then?", role="buyer"),
    )
    assert [(s.text, s.turn) for s in call_sentences(call)] == [
        ("What do you use today?", 0),
        ("Spreadsheets.", 0),
        ("Too pricey anyway.", 0),
        ("Agreed.", 0),
        ("Fair.", 1),
        ("So what then?", 1),
    ]
