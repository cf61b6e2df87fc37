"""Redact: personal data out of every quote that leaves the store.

Buyers read out phone numbers, e-mail addresses and card numbers on calls, and transcripts keep
them. The store keeps what was said; what is published (objections.jsonl, themes.json, the report,
briefs) shows a token in their place: `[email]`, `[phone]`, `[card]`, `[ssn]`, `[iban]`, and,
when names are masked, `[name]`.

The patterns lean towards redacting: a run of digits shaped like a phone number is redacted even
if it was an order number. Card numbers and IBANs are checked (Luhn, mod 97) and phone numbers
need 7 to 15 digits, so prices, dates, times and head counts are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from objections.config import PrivacyConfig
from objections.models import Objection, Sentence

_DOMAIN_END = r"(?:com|org|net|io|co|uk|de|fr|es|it|nl|eu|edu|gov|us|ca|au|in|biz|info)"
EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
# How ASR writes an address read out loud: "jane dot doe at acme dot com", "jane.doe at acme.com",
# or any "name at domain" right after the word e-mail: "my email is jane at acme dot com".
_SPOKEN_DOMAIN = rf"[a-z0-9-]+(?:(?:\s+dot\s+|\.)[a-z0-9-]+){{0,3}}(?:\s+dot\s+|\.){_DOMAIN_END}\b"
SPOKEN_EMAIL = re.compile(
    rf"(?<![\w.])[a-z0-9]+(?:(?:\s+(?:dot|underscore)\s+|[._])[a-z0-9]+){{1,4}}\s+at\s+{_SPOKEN_DOMAIN}",
    re.IGNORECASE,
)
EMAIL_AFTER_WORD = re.compile(
    rf"(\be-?mail\b(?:\s+(?:me|address|is|at|to|it|that)\b)*\s+)[a-z0-9]+\s+at\s+{_SPOKEN_DOMAIN}",
    re.IGNORECASE,
)
# 13-19 digits, in groups split by single spaces or dashes (Luhn-checked).
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# 123-45-6789 / 123 45 6789; never issued: area 000, 666 or 9xx, group 00, serial 0000.
SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
# Country code, check digits, then the account: compact or in groups of four (mod-97 checked).
IBAN = re.compile(
    r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)\b", re.IGNORECASE
)
# Phone numbers as written: +1 (555) 123-4567, 555.123.4567, 555-1234, 5551234567,
# +44 20 7946 0958, 0044 20 7946 0958, 020 7946 0958, 06 12 34 56 78.
_SEP = r"[ .-]?"
PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"\+\d{{1,3}}(?:{_SEP}\(?\d{{1,5}}\)?){{1,6}}"  # international with +
    rf"|\b00\d{{1,3}}(?:{_SEP}\d{{1,5}}){{2,6}}"  # international with 00
    rf"|(?:\b1{_SEP})?\(\d{{3}}\){_SEP}\d{{3}}{_SEP}\d{{4}}"  # (555) 123-4567
    rf"|(?:\b1[ .-])?\b\d{{3}}[ .-]\d{{3}}[ .-]\d{{4}}"  # 555-123-4567
    r"|\b\d{3}-\d{4}"  # 555-1234
    r"|\b0\d{1,4}(?:[ .-]\d{2,5}){1,4}"  # national, with a trunk 0
    r"|\b\d{10,11}"  # bare digits
    r")(?![\w])"
)
DIGIT_WORDS = {
    "zero": 1, "oh": 1, "one": 1, "two": 1, "three": 1, "four": 1, "five": 1, "six": 1,
    "seven": 1, "eight": 1, "nine": 1, "double": 0, "triple": 0,
}  # fmt: skip
# Digits read out one by one: "five five five, one two three four".
SPOKEN_DIGITS = re.compile(
    r"\b(?:(?:" + "|".join(DIGIT_WORDS) + r"|\d{1,4})(?:[\s,.-]+|$)){7,}", re.IGNORECASE
)
# Speaker labels and label words that name a role, not a person.
GENERIC_WORDS = {
    "rep", "buyer", "speaker", "customer", "client", "prospect", "agent", "host", "guest",
    "seller", "caller", "unknown", "channel", "participant", "interviewer", "moderator", "me",
    "you", "sales", "support", "team", "the", "and", "of", "mr", "mrs", "ms", "dr",
}  # fmt: skip
NAME_TOKEN = "[name]"


def redact(text: str) -> str:
    """`text` with e-mail addresses, card numbers, SSNs, IBANs and phone numbers replaced by
    `[email]`, `[card]`, `[ssn]`, `[iban]` and `[phone]`."""
    text = EMAIL.sub("[email]", text)
    text = SPOKEN_EMAIL.sub("[email]", text)
    text = EMAIL_AFTER_WORD.sub(r"\1[email]", text)
    text = IBAN.sub(_iban, text)
    text = CARD.sub(lambda m: "[card]" if luhn_valid(m.group()) else m.group(), text)
    text = SSN.sub("[ssn]", text)
    text = PHONE.sub(_phone, text)
    return SPOKEN_DIGITS.sub(_spoken_phone, text)


def mask_names(text: str, names: re.Pattern[str] | None) -> str:
    """`text` with every name `names` (from `name_pattern`) matches replaced by `[name]`."""
    return names.sub(NAME_TOKEN, text) if names else text


def _iban(match: re.Match[str]) -> str:
    """The longest valid IBAN at the start of the match (a capitalised word after an IBAN in
    groups of four looks like one more group)."""
    found = match.group()
    groups = found.split(" ")
    for end in range(len(groups), 0, -1):
        candidate = " ".join(groups[:end])
        if iban_valid(candidate):
            return "[iban]" + found[len(candidate) :]
    return found


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    digits = sum(c.isdigit() for c in found)
    return "[phone]" if 7 <= digits <= 15 else found


def _spoken_phone(match: re.Match[str]) -> str:
    found = match.group()
    tokens = re.findall(r"[a-z]+|\d+", found.lower())
    digits = sum(DIGIT_WORDS.get(t, 0) if t.isalpha() else len(t) for t in tokens)
    if digits < 7:
        return found
    tail = found[len(found.rstrip(" ,.-\n\t")) :]
    return "[phone]" + tail


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    if not (15 <= len(compact) <= 34 and compact.isalnum() and compact[2:4].isdigit()):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern for people's names: each full name in any case, and each of its parts written
    as a name ("Dana" and "Whitfield" of "Dana Whitfield", capitalised as transcripts write
    them). Role labels ("Rep", "Speaker 2", "channel 1") and e-mail addresses are no names."""
    full: set[str] = set()
    parts: set[str] = set()
    for name in names:
        if "@" in name:
            continue
        name = re.sub(r"\(.*?\)", " ", name)  # "Dana Whitfield (Acme)"
        words = re.findall(r"[^\W\d_][\w'-]*", name)
        personal = [w for w in words if w.lower().rstrip(".") not in GENERIC_WORDS]
        if not personal:
            continue
        if len(words) > 1:
            full.add(r"\s+".join(re.escape(w) for w in words))
        parts.update(re.escape(w) for w in personal if len(w) > 1)
    if not full and not parts:
        return None
    alternatives = [rf"(?i:{f})" for f in sorted(full, key=len, reverse=True)]
    alternatives += sorted(parts, key=len, reverse=True)
    return re.compile(rf"(?<![\w\[-])(?:{'|'.join(alternatives)})(?![\w\]-])")


def redact_published(
    sentences: list[Sentence],
    objections: list[Objection],
    privacy: PrivacyConfig,
    names: list[str],
    competitors: list[str],
) -> None:
    """Redact, in place, every sentence that can reach an output: quotes, keywords, labels,
    questions and objections all come from these. Detection has already read the original
    words; the store keeps them. An alternative a buyer named that redaction changes (a person,
    an address) is no competitor, and is dropped."""
    pattern = name_pattern([*names, *privacy.names]) if privacy.mask_names else None

    def clean(text: str) -> str:
        return mask_names(redact(text) if privacy.redact else text, pattern)

    for sentence in sentences:
        sentence.text = clean(sentence.text)
        sentence.speaker = mask_names(sentence.speaker, pattern)
    configured = set(competitors)
    for objection in objections:
        objection.competitors = [
            c for c in objection.competitors if c in configured or clean(c) == c
        ]
