"""Sentences: split turns into sentences, each timed and with the turn it answers."""

from __future__ import annotations

import re

from objections.models import Call, Sentence

# A sentence ends at . ! or ? (maybe followed by a closing quote or bracket, which stays with it)
# followed by space and a capital, digit or quote; not after common abbreviations or single
# initials, nor after "No." when a number follows ("No. 5").
_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Inc|Ltd|Co|Corp|vs|etc|e\.g|i\.e|approx|St|Jr|Sr)\.|"
    r"\b[A-Z]\.)$"
)
_NUMBER_ABBREVIATION = re.compile(r"\b[Nn]o\.$")


def split_text(text: str) -> list[str]:
    """Split running text into sentences; never drops text (runs of whitespace become one space)."""
    text = " ".join(text.split())
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start()].strip()
        if _ABBREVIATIONS.search(candidate) or (
            _NUMBER_ABBREVIATION.search(candidate) and text[match.end() : match.end() + 1].isdigit()
        ):
            continue
        if candidate:
            pieces.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def call_sentences(call: Call) -> list[Sentence]:
    """Every sentence of a call in order, timed by its share of the turn's characters."""
    sentences: list[Sentence] = []
    context = ""
    previous = None
    # Per side (the rep's or the buyers'), its current turn: a side's turn runs until the other
    # side speaks (speech recognition splits one turn into many segments; two buyers in a row
    # are one turn of the buyers').
    turn_of = {True: -1, False: -1}
    speaking: bool | None = None  # whether the rep's side has the floor
    for turn in call.turns:
        is_rep = turn.role == "rep"
        if is_rep != speaking:
            speaking = is_rep
            turn_of[is_rep] += 1
        # A speaker reacts to the last turn of someone else, even across their own turns.
        if previous is not None and previous.speaker != turn.speaker:
            context = previous.text
        texts = turn.sentences or split_text(turn.text)
        total = sum(len(t) for t in texts) or 1
        offset = 0
        for text in texts:
            share = (turn.end - turn.start) / total
            start = turn.start + offset * share
            offset += len(text)
            sentences.append(
                Sentence(
                    call_id=call.call_id,
                    index=len(sentences),
                    speaker=turn.speaker,
                    role=turn.role,
                    start=round(start, 2),
                    end=round(turn.start + offset * share, 2),
                    text=text,
                    context=context,
                    turn=turn_of[is_rep],
                )
            )
        previous = turn
    return sentences
