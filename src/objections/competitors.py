"""Competitors: the configured competitors' names found in what buyers say, however speech
recognition spells them, and alternatives named without being configured ("we're on X"); and
the same names masked, since names mean nothing to an embedding model."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable

# What a configured competitor's name is replaced by before embedding.
COMPETITOR_WORDS = "a competitor"

_NUMBER_WORDS = {"1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
                 "7": "seven", "8": "eight", "9": "nine", "10": "ten"}  # fmt: skip
_ALTERNATIVE = re.compile(
    r"\b(?:we(?:'re| are)? (?:use|using|run|running|on|have|went with|signed with)|"
    r"already (?:use|using|have|on|pay for)|switched to|moving to|looking at|evaluating|"
    r"comparing (?:you|it) (?:to|with)|quote from|demo with)\s+"
    r"((?:[A-Z][\w.&'-]*|\d+[A-Za-z]+)(?:\s(?:[A-Z][\w.&'-]*))?)"
)
_NOT_PRODUCTS = {"I", "We", "The", "A", "It", "That", "This", "Monday", "Friday", "January",
                 "Our", "My", "Your", "You", "They", "So", "And", "But"}  # fmt: skip


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


# Edition words buyers leave off a product's name: "Raiser's Edge NXT" is "Raiser's Edge",
# "Acme Cloud Pro" is "Acme".
_EDITIONS = {"nxt", "cloud", "platform", "suite", "software", "app", "online", "enterprise",
             "pro", "plus", "premium", "essentials", "express", "edition", "hq", "inc", "ai",
             "go", "x"}  # fmt: skip


def camel_case(word: str) -> bool:
    """A capital right after a small letter: FleetWave, IDeaS, LabWare; never an acronym such as
    CRM or AWS, which also name a kind of product or the vendor's other ones."""
    return any(a.islower() and b.isupper() for a, b in itertools.pairwise(word))


def _without_editions(name: str) -> list[str]:
    words = name.split()
    while len(words) > 1 and words[-1].lower() in _EDITIONS:
        words.pop()
    return words


@functools.lru_cache(maxsize=1024)
def name_parts(name: str) -> frozenset[str]:
    """Of a vendor-and-product name, the camel-case words that read as a name on their own
    ("FleetWave" of "Chevin FleetWave", "LabWare" of "LabWare LIMS"), matched as written:
    "IDeaS" is a name, "ideas" a word. A plain word ("Oracle") or an acronym ("CRM" of "HubSpot
    CRM", "SAP" of "SAP Concur") also names other products, so never alone."""
    words = _without_editions(name)
    if len(words) < 2:
        return frozenset()
    return frozenset(w for w in words if len(w) >= 3 and camel_case(w))


@functools.lru_cache(maxsize=1024)
def name_variants(name: str) -> frozenset[str]:
    """Spellings speech recognition produces for a name: spaced, split, digits as words; and
    the name without the edition words buyers leave off."""
    words = _without_editions(name)
    variants = set()
    for form in {name, " ".join(words)}:
        variants.add(_squash(form))
        spelled = re.sub(
            r"\d+", lambda m: " " + _NUMBER_WORDS.get(m.group(), m.group()) + " ", form
        )
        variants.add(_squash(spelled))
    return frozenset(v for v in variants if len(v) >= 2)


def find_competitors(text: str, competitors: Iterable[str]) -> list[str]:
    """Configured competitors named in the text (however spaced), then unknown alternatives."""
    squashed = _squash(text)
    words: list[tuple[int, int, str]] | None = None
    found = []
    for name in competitors:
        variants = {v for v in name_variants(name) if v in squashed}  # cheap test first
        parts = {w for w in name_parts(name) if w in text}
        if variants or parts:
            words = words or _words(text)
            if _name_runs(words, variants) or _part_runs(words, parts):
                found.append(name)
    known = {_squash(n) for n in found}
    for match in _ALTERNATIVE.finditer(text):
        candidate = match.group(1).strip(" .,")
        first = candidate.split()[0]
        if first not in _NOT_PRODUCTS and _squash(candidate) not in known:
            found.append(candidate)
            known.add(_squash(candidate))
    return found


def mask_competitors(text: str, competitors: Iterable[str]) -> str:
    """The text with each configured competitor's name (however spaced) replaced by
    COMPETITOR_WORDS."""
    out, last = [], 0
    for start, end in _name_spans(text, competitors):
        possessive = "'s" if re.search(r"['’]s\W*$", text[start:end]) else ""
        out += [text[last:start], COMPETITOR_WORDS + possessive]
        last = end
    return "".join(out) + text[last:]


def competitor_mentions(text: str, competitors: Iterable[str]) -> list[str]:
    """The competitors' names as the text says them ("FleetWave" for "Chevin FleetWave")."""
    said = [text[start:end].strip("\"'“”‘’([") for start, end in _name_spans(text, competitors)]
    return [re.sub(r"['’]s$", "", name) for name in said]


def _name_spans(text: str, competitors: Iterable[str]) -> list[tuple[int, int]]:
    """Where the text names a competitor (however spaced): character spans, trailing
    punctuation left out, a whole name taken before a part of it."""
    squashed = _squash(text)
    variants = {v for n in competitors for v in name_variants(n) if v in squashed}
    parts = {w for n in competitors for w in name_parts(n) if w in text}
    if not variants and not parts:  # most sentences: no name anywhere in them
        return []
    tokens = _words(text)
    # The whole name before a part of it that starts at the same word ("IDeaS G3", "IDeaS").
    runs = sorted(
        _name_runs(tokens, variants) + _part_runs(tokens, parts), key=lambda r: (r[0], -r[1])
    )
    spans: list[tuple[int, int]] = []
    for first, after in runs:
        if spans and tokens[first][0] < spans[-1][1]:
            continue  # a part inside a whole name already found
        start, end, word = tokens[first][0], tokens[after - 1][1], tokens[after - 1][2]
        spans.append((start, end - (len(word) - len(word.rstrip(".,;:!?)")))))
    return spans


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]


def _part_runs(words: list[tuple[int, int, str]], parts: set[str]) -> list[tuple[int, int]]:
    """[i, i + 1) for each word that is one of `parts` as written, possessive or not."""
    if not parts:
        return []
    bare = [re.sub(r"(?:['’]s)?[.,;:!?)]*$", "", w) for _, _, w in words]
    return [(i, i + 1) for i, w in enumerate(bare) if w in parts]


def _name_runs(words: list[tuple[int, int, str]], variants: set[str]) -> list[tuple[int, int]]:
    """[first, after) word ranges whose words spell one of the variants when joined (so
    'hubs pot' = 'hubspot'), possessives included ("Deputy's")."""
    if not variants:
        return []
    squashed = [_squash(w) for _, _, w in words]
    longest = max(map(len, variants)) + 1
    runs, i = [], 0
    while i < len(words):
        joined, match = "", 0
        for j in range(i, min(i + 4, len(words))):
            joined += squashed[j]
            if joined in variants or (joined.endswith("s") and joined[:-1] in variants):
                match = j + 1
                break
            if not joined or len(joined) >= longest:
                break
        if match:
            runs.append((i, match))
            i = match
        else:
            i += 1
    return runs
