"""Roles: who sells and who buys.

In order of trust: stereo channels (the configured rep channel), the transcript's own speaker map,
the configured rep names, and for anything left a heuristic on what each speaker says.
"""

from __future__ import annotations

import re
from collections import defaultdict

from objections.models import Call, Role

# Things reps say and buyers rarely do: the seller's voice, discovery questions, next steps.
REP_CUES = re.compile(
    r"\b(our (platform|product|customers|pricing|team|solution|tool|app)|we (offer|support|"
    r"integrate|provide|charge|bill)|i'll send|i can send|send (you|over)|happy to|"
    r"walk you through|tell me (a bit )?about|how (are|do) you (currently|handle|manage)|"
    r"what does your|how many (people|users|locations|employees)|let me show|"
    r"thanks for (taking|making) the time|our customers)\b",
    re.IGNORECASE,
)
BUYER_CUES = re.compile(
    r"\b(we currently|our (current|team|managers|staff|people|budget)|we use|we're using|"
    r"my (boss|team|cfo|owner)|we'd need|i'd have to|we already)\b",
    re.IGNORECASE,
)
# Sellers talk about the buyer ("your team", "you'd see"); buyers talk about themselves ("my
# stores", "I'm worried"). "I'll" is left out: "I'll send" is a seller's line.
SECOND_PERSON = re.compile(r"\b(?:you|your|yours|you're|you've|you'd|you'll)\b", re.IGNORECASE)
FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|mine)\b", re.IGNORECASE)
PRONOUN_WEIGHT = 5.0  # per word: a speaker with 4% "you" and 2% "I" words scores +0.1
FLOOR_WEIGHT = 2.0  # share of all turns: the rep answers every buyer, so holds the most turns


def assign_roles(call: Call, reps: list[str], rep_channel: int = 0, company: str = "") -> Call:
    """Set every turn's role and record how it was decided in `call.roles_method`."""
    if any(t.channel is not None for t in call.turns):
        for turn in call.turns:
            is_rep = turn.channel == rep_channel
            turn.role = "rep" if is_rep else "buyer"
            turn.speaker = "Rep" if is_rep else "Buyer"
        call.speakers = {"Rep": "rep", "Buyer": "buyer"}
        call.roles_method = f"stereo channels (rep on channel {rep_channel})"
        return call
    speakers = list(dict.fromkeys(t.speaker for t in call.turns))
    roles: dict[str, Role] = {}
    methods = []
    known = {s: r for s, r in call.speakers.items() if r != "unknown"}
    if known:
        roles.update(known)
        methods.append("transcript speaker map")
    named = {s: "rep" for s in speakers if s not in roles and matches_rep(s, reps)}
    if named:
        roles.update(named)  # type: ignore[arg-type]
        methods.append("configured rep names")
    rest = [s for s in speakers if s not in roles]
    if rest:
        roles.update(guess_roles(call, rest, has_rep="rep" in roles.values(), company=company))
        methods.append("heuristic: rep-like language")
    for turn in call.turns:
        turn.role = roles.get(turn.speaker, "buyer")
    call.speakers = {s: roles.get(s, "buyer") for s in speakers}
    call.roles_method = ", ".join(methods)
    return call


def matches_rep(speaker: str, reps: list[str]) -> bool:
    """A speaker label matches a configured rep by full name, or by first name alone.

    A first name with the surname's initial ("Nadia K.") matches too; a different surname does not.
    """
    label = speaker.strip().lower().split()
    for rep in reps:
        name = rep.strip().lower().split()
        if not label or not name:
            continue
        if label == name:
            return True
        # the first name alone, or with initials of the rest ("Nadia K.")
        rest = [part.rstrip(".") for part in label[1:]]
        if (
            label[0] == name[0]
            and len(label[0]) > 2
            and len(label) <= len(name)
            and all(
                part and full.startswith(part) for part, full in zip(rest, name[1:], strict=False)
            )
        ):
            return True
    return False


def rep_likeness(texts: list[str], company: str = "") -> float:
    """How much a speaker sounds like the seller: cue hits per turn, questions asked, and talk
    about "you" rather than "I"."""
    if not texts:
        return 0.0
    words = sum(len(text.split()) for text in texts) or 1
    you = sum(len(SECOND_PERSON.findall(text)) for text in texts)
    me = sum(len(FIRST_PERSON.findall(text)) for text in texts)
    score = PRONOUN_WEIGHT * (you - me) / words * len(texts)
    own_company = re.compile(rf"\b{re.escape(company)}\b", re.IGNORECASE) if company else None
    for text in texts:
        score += 1.0 * len(REP_CUES.findall(text)) - 1.0 * len(BUYER_CUES.findall(text))
        score += 0.3 * text.count("?")
        if own_company and own_company.search(text):
            score += 0.5
    return score / len(texts)


def guess_roles(
    call: Call, speakers: list[str], has_rep: bool, company: str = ""
) -> dict[str, Role]:
    """One rep (the most rep-like speaker, who also tends to hold the floor most often) unless a
    rep is already known; the rest buyers."""
    texts: dict[str, list[str]] = defaultdict(list)
    for turn in call.turns:
        texts[turn.speaker].append(turn.text)
    total = len(call.turns) or 1
    roles: dict[str, Role] = {s: "buyer" for s in speakers}
    if not has_rep and len(speakers) >= 2:
        rep = max(
            speakers,
            key=lambda s: rep_likeness(texts[s], company) + FLOOR_WEIGHT * len(texts[s]) / total,
        )
        roles[rep] = "rep"
    return roles
