"""Labels: each theme's keywords, label and quotes, in the buyers' own words.

Keywords come from the buyers' own words (class-based TF-IDF), the label is a short noun phrase
or clause cut from a typical buyer sentence out of words many members say, quotes are the
members nearest the centre, one per call and no two alike.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from objections.competitors import competitor_mentions
from objections.config import ThemesConfig
from objections.models import Objection, Quote, Theme

CATEGORY_NAMES = {
    "price": "Price", "timing": "Timing", "authority": "Sign-off", "need": "No need",
    "competitor": "Competitor", "integration": "Integration", "security": "Security",
    "implementation": "Rollout", "proof": "Proof", "contract": "Contract",
}  # fmt: skip
FILLERS = {
    "um", "uh", "like", "yeah", "know", "mean", "just", "really", "kind", "sort", "honestly",
    "gonna", "okay", "ok", "right", "thing", "things", "stuff", "lot", "guys", "actually", "pretty",
    "think", "going", "get", "got", "want", "say", "said", "look", "maybe", "probably", "basically",
    "sure", "guess", "bit", "little", "way", "kinda", "wanna", "don", "doesn", "didn", "isn", "ll",
    "ve", "re", "s", "t", "d", "m", "yes", "hey", "oh", "well", "one", "also", "make",
    "need", "needs", "something", "anything", "everything", "good", "great", "much", "even",
    "problem", "somebody", "someone", "different", "knows", "tell", "told", "talk", "people",
    "honest", "worried", "concern", "concerned", "sounds", "definitely", "totally", "literally",
    "says", "heard", "hear",
}  # fmt: skip


KEYWORD_SOURCES = 200
# Words too general to be a keyword on their own ("new", "means", "years"); inside a longer
# phrase they stay ("new system"), unless all its words are general ("years ago").
_GENERAL = {"new", "old", "big", "real", "fine", "able", "whole", "means", "feels", "feel", "goes",
            "gets", "getting", "came", "come", "comes", "coming", "doing", "does", "did", "done",
            "work", "works", "worked", "working", "use", "used", "uses", "using", "ask", "asked",
            "believe", "figured", "sent", "add", "start", "started", "keep", "let", "run",
            "running", "try", "tried", "check", "checked", "looks", "looked", "seen", "saw",
            "worry", "worries", "ha", "hm", "hmm", "huh", "day", "days", "week", "weeks", "month",
            "months", "year", "years", "time", "times", "today", "ago", "half", "couple", "ones",
            "guy", "guys", "point", "case", "place", "dr", "mr", "mrs", "ms"}  # fmt: skip
_HONORIFICS = {"dr", "mr", "mrs", "ms", "miss", "sir"}
# Hedges no label holds anywhere ("paid wrong for like two periods").
_HEDGES = {"like", "basically", "actually", "honestly", "literally", "really", "pretty",
           "kinda", "sorta", "definitely", "totally", "obviously", "probably", "maybe", "um",
           "uh"}  # fmt: skip
_UNITS = {"percent", "bucks", "dollars", "dollar", "cents", "grand", "times", "points"}
_NUMBERS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
            "eighty", "ninety", "hundred", "thousand", "million", "dozen", "half"}  # fmt: skip
# A name said to someone (", Nadia," or "thanks Nadia,") or after a title ("Dr. Patel").
_NAMED = re.compile(
    r"\b(?i:dr|mr|mrs|ms)\.?\s+([A-Z][a-z]+)|"
    r"(?:,|\b(?i:honestly|look|yeah|okay|well|thanks|sorry|listen))\s+([A-Z][a-z]+)\s*,"
)


def describe(themes: list[Theme], config: ThemesConfig, people: Iterable[str] = ()) -> None:
    """Keywords, label and quotes for each theme. A person's name ("thanks Nadia", "Dr. Patel")
    says who was talking, not what about: it is never in a keyword or a label."""
    # Keywords from a theme's most typical members: enough to rank its phrases, and the cost
    # stays flat as themes grow.
    texts = [[o.sentence.text for o in t.objections[:KEYWORD_SOURCES]] for t in themes]
    named = {w for name in people for w in _WORD.findall(name.lower()) if len(w) > 2}
    named |= names_in(text for group in texts for text in group)
    wording = Wording(named, nouns_in(text for group in texts for text in group))
    phrase_counts = [Counter(p for text in group for p in phrases(text)) for group in texts]
    document_frequency: Counter[str] = Counter()
    for counts in phrase_counts:
        document_frequency.update(counts.keys())
    taken: set[str] = set()
    for theme, counts in zip(themes, phrase_counts, strict=True):
        # Phrases said at least twice, where a theme has some; else its once-said ones.
        least = 2 if len(theme.objections) >= 3 else 1
        scored = weigh(counts, document_frequency, len(themes), named, least)
        if not scored and least == 2:
            scored = weigh(counts, document_frequency, len(themes), named, 1)
        ranked = sorted(scored, key=lambda p: (-scored[p], p))
        specific = [p for p in ranked if not _GENERAL.issuperset(p.split())]
        theme.keywords = distinct(specific or ranked, config.keywords)
        name = named_alternative(theme)
        phrase = label(theme, scored, taken, word_support(counts), wording, name)
        if not phrase and name and name.lower() not in taken:
            phrase = name
        # The category leads, as in the report's ranked list ("Price: paying per seat").
        theme.label = f"{category_name(theme)}: {phrase}" if phrase else keyword_label(theme)
        taken.add(phrase.lower())
        theme.quotes = pick_quotes(theme.objections, config.quotes)


def named_alternative(theme: Theme) -> str:
    """The competitor at least half of a competitor theme's members name, as they say it
    ("FleetWave" for "Chevin FleetWave"); "" for other themes. Its label names it: "walk away"
    says nothing without the name of what the buyer would walk away from."""
    if theme.category != "competitor" or not theme.competitors:
        return ""
    name = theme.competitors[0]
    said = Counter(
        mention
        for o in theme.objections
        if name in o.competitors
        for mention in competitor_mentions(o.sentence.text, [name])[:1]
    )
    if not said or 2 * sum(said.values()) < len(theme.objections):
        return ""
    return said.most_common(1)[0][0]


@dataclass
class Wording:
    """What the labels learn from all the themes' sentences: the names of people, never in a
    label, and the words buyers use as nouns ("the pricing", "a load"): a label ends with
    "-ing" or "-ed" only when it is one ("per-seat pricing", never "changed"), and "to" before
    a word that never is one starts a verb ("website to accept")."""

    named: set[str] = field(default_factory=set)
    nouns: set[str] = field(default_factory=set)


# A word after a determiner is a noun or an adjective, not a verb ("the billing").
_DETERMINED = re.compile(
    r"\b(?:the|a|an|our|your|their|my|his|her|its|this|any|no|every|per)\s+([a-z][a-z'-]*)",
    re.IGNORECASE,
)


def nouns_in(texts: Iterable[str]) -> set[str]:
    """Words said right after a determiner somewhere in the batch ("the billing", "a load")."""
    return {word.lower() for text in texts for word in _DETERMINED.findall(text)}


def names_in(texts: Iterable[str]) -> set[str]:
    """Lower-cased first names that sentences address someone by or put after a title; not a
    word also said after a preposition or a determiner ("Yeah, Toast, Square" but "in Toast")."""
    joined = "\n".join(texts)
    found = {a or b for a, b in _NAMED.findall(joined)}
    if not found:
        return set()
    words = joined.split()
    led = {
        after.strip(",.;:!?")
        for before, after in itertools.pairwise(words)
        if before.lower() in _KIND and _KIND[before.lower()] in "PD"
    }
    return {name.lower() for name in found - led}


def weigh(
    counts: Counter[str], frequency: Counter[str], themes: int, named: set[str], least: int
) -> dict[str, float]:
    """Class-based TF-IDF of a theme's phrases said at least `least` times (longer phrases a
    little more), leaving out any that holds a person's name or a title."""
    left_out = named | _HONORIFICS
    return {
        p: n * math.log(1 + themes / frequency[p]) * (1 + 0.25 * p.count(" "))
        for p, n in counts.items()
        if n >= least and not left_out.intersection(p.split())
    }


def word_support(counts: Counter[str]) -> dict[str, int]:
    """How many of a theme's sentences say each word (plural and singular together)."""
    support: Counter[str] = Counter()
    for phrase, n in counts.items():
        if " " not in phrase:
            support[_stem(phrase)] += n
    return support


def _stem(word: str) -> str:
    word = word.removesuffix("'s")
    return word.rstrip("s") if len(word) > 3 else word


def category_name(theme: Theme) -> str:
    return CATEGORY_NAMES.get(theme.category, theme.category.title())


def keyword_label(theme: Theme) -> str:
    """The fallback label: the category and the two top keywords."""
    top = ", ".join(theme.keywords[:2]) or "other concerns"
    return f"{category_name(theme)}: {top}"


# A label is a stretch of one of the theme's most typical sentences; a stretch that many members
# share beats one sentence's fragment, because each of its words must be said in the theme at
# least twice or the stretch loses half its score per word.
LABEL_SOURCES = 20
LABEL_WORDS = (2, 6)  # at least 2: the span sums below rely on it
LABEL_KEYWORDS = 3  # a label holds one of the theme's top keywords
UNSUPPORTED = 0.5  # the score kept for each word said in only one of the theme's sentences
CONCERN = 1.5  # a stretch that says what is wrong ("wrong rate", "too expensive") gains this
# Words that say what is wrong, in any company's objections.
_CONCERNS = {"wrong", "break", "breaks", "broke", "broken", "fail", "fails", "failed", "mess",
             "error", "errors", "mismatch", "double", "duplicate", "duplicates", "twice", "extra",
             "expensive", "pricey", "costly", "steep", "higher", "more", "too", "no", "not",
             "never", "without", "can't", "won't", "hard", "harder", "tough", "stuck", "locked",
             "lose", "losing", "lost", "risk", "risky", "slow", "late", "manual", "hand",
             "confusing", "burden", "pain", "hassle", "disruption", "overlap", "redundant",
             "separate", "another", "retrain", "retraining", "freeze", "swamped", "minimum",
             "minimums", "penalty", "fee", "fees", "termination", "lock-in", "auto-renewal",
             "privacy", "tracking", "breach", "exposure", "doubt", "skeptical", "approval",
             "approve", "sign-off", "budget"}  # fmt: skip
# Stop words a label may start with ("no way to export", "already on MercuryGate").
_LEADING_OK = {"no", "not", "too", "per", "every", "without", "only", "after", "before", "already"}
# Nouns in the stop-word list a label may start or end with ("new system", "freight bill").
_NOUNS = {"system", "systems", "bill", "bills", "part", "side", "front", "call", "calls", "amount",
          "detail", "details", "interest", "fire", "name", "move", "moves"}  # fmt: skip
# "-ly" words that are not adverbs, so a label may end with them ("billed monthly").
_LY_OK = {"early", "monthly", "quarterly", "daily", "weekly", "yearly", "hourly", "july",
          "family", "supply", "assembly", "reply", "italy"}  # fmt: skip
# Verbs and adverbs a label neither starts nor ends with: "franchise agreement works" and
# "means custom mapping" are fragments, "franchise agreement" and "custom mapping" are not.
_DANGLING = {"work", "works", "worked", "go", "goes", "went", "going", "get", "gets", "got", "do",
             "does", "did", "done", "be", "is", "are", "was", "were", "been", "has", "have", "had",
             "mean", "means", "meant", "make", "makes", "made", "take", "takes", "took", "come",
             "comes", "came", "feel", "feels", "felt", "seem", "seems", "sound", "sounds", "look",
             "looks", "want", "wants", "need", "needs", "know", "knows", "think", "guess", "say",
             "says", "said", "tell", "told", "gonna", "can", "can't", "won't", "would", "could",
             "should", "will", "might", "just", "even", "still", "already", "ever", "never",
             "way", "lot", "bit", "coming", "ask", "asked", "believe", "like", "likes", "liked",
             "let", "keep", "kept", "put", "give", "gives", "gave", "see", "sees", "saw", "seen",
             "getting", "doing", "having", "being", "trying", "saying", "thinking", "wanted",
             "expecting", "hoping", "needed", "thought", "worry", "worried", "ha", "hm", "hmm",
             "huh", "kinda", "sorta", "wanna", "gotta", "today", "now", "yet", "anymore", "anyway",
             "eventually", "tomorrow", "lately", "ago"}  # fmt: skip
# Spoken filler removed before a label is cut ("um", "you know", "I mean", "like,").
_SPOKEN = re.compile(
    r"\b(?:um+|uh+|you know|i mean|kind of|sort of|like(?=,)|like(?= (?:\d|a couple|a few|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|half)))\b,?\s*",
    re.I,
)
# A clause also ends at a conjunction: "it's too pricey because ..." gives "it's too pricey".
_CONJUNCTION = re.compile(
    r"\s\b(?:and|but|because|cause|so|since|which|though|although|while|whereas|unless|until|"
    r"if|or|then|plus|especially)\b\s",
    re.I,
)
# Words a label does not start with: openers, hedges, pronouns and the subject ("we're locked
# into X" is labelled "locked into X").
_OPENERS = {"yeah", "so", "and", "but", "honestly", "look", "well", "okay", "ok", "right", "see",
            "just", "also", "i", "i'm", "i've", "i'd", "we", "we're", "we've", "we'd", "we'll",
            "it", "it's", "that", "that's", "this", "there", "there's", "they", "they're", "you",
            "your", "our", "my", "the", "a", "an", "like", "sure", "no", "now", "to", "be",
            "is", "are", "was", "were", "really", "still", "then", "again", "frankly", "he",
            "she", "his", "her", "him", "them", "their", "its", "me", "us", "these", "those",
            "what", "which", "who", "whoever", "whatever", "anyone", "someone", "somebody",
            "anybody", "everyone", "everybody", "nobody", "maybe", "probably", "basically",
            "actually", "literally", "definitely", "totally", "pretty", "mostly"}  # fmt: skip
# A subject inside a stretch starts a new clause: "7shifts we're month" is two broken halves.
_SUBJECTS = {"i", "i'm", "i've", "i'd", "i'll", "we", "we're", "we've", "we'd", "we'll", "they",
             "they're", "it's", "that's", "there's", "you're", "he's", "she's", "he", "she",
             "you've", "you'd", "you'll", "they've", "they'd", "they'll"}  # fmt: skip


def label(
    theme: Theme,
    weights: dict[str, float],
    taken: set[str],
    support: dict[str, int] | None = None,
    wording: Wording | None = None,
    name: str = "",
) -> str:
    """A short phrase in the buyers' own words: of the clauses of the theme's most typical
    sentences, the 2-6 word stretch holding a top keyword that carries the most keyword weight
    for its length, each word the theme says only once costing half its score; one that says
    `name`, where one is given."""
    top = set(theme.keywords[:LABEL_KEYWORDS])
    said = support if support is not None else {}
    best, best_score, best_source = "", 0.0, ""
    for rank, objection in enumerate(theme.objections[:LABEL_SOURCES]):
        decay = 1 / (1 + 0.05 * rank)  # the most typical sentences a little first
        for words in label_clauses(objection.sentence.text):
            for text, score in stretches(words, weights, top, said, wording or Wording()):
                if name and not _says(text, name):
                    continue
                if score * decay > best_score and text.lower() not in taken:
                    best, best_score = text, score * decay
                    best_source = objection.sentence.text
    # Lower-case a capital that only starts the sentence ("Paying per seat"), not "ADP".
    first = best.split(" ", 1)[0]
    by_name = bool(name) and best.lower().startswith(name.lower())
    if (
        first[:1].isupper()
        and first[1:2].islower()
        and best_source.startswith(first)
        and not by_name
    ):
        best = best[:1].lower() + best[1:]
    return best


def _says(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def stretches(
    words: list[str],
    weights: dict[str, float],
    top: set[str],
    support: dict[str, int],
    wording: Wording,
) -> Iterable[tuple[str, float]]:
    """Each 2-6 word stretch of one clause that can be a label, and its score: the weight of
    the theme's phrases inside it, over its length, halved for each word said only once."""
    n = len(words)
    norm = [_norm(w) for w in words]
    # Phrases (1-3 words) of the clause by where they end; prefix sums then give the weight of
    # the phrases inside any stretch of two or more words in constant time.
    ends, crossing = [0.0] * (n + 1), [0.0] * (n + 1)
    top_ends, top_crossing = [0] * (n + 1), [0] * (n + 1)
    for i in range(n):
        for size in (1, 2, 3):
            if i + size > n:
                break
            gram = " ".join(norm[i : i + size])
            # A general word alone ("month", "new") earns a stretch nothing.
            weight = 0.0 if gram in _GENERAL else weights.get(gram, 0.0)
            is_top = gram in top
            if not weight and not is_top:
                continue
            ends[i + size] += weight
            top_ends[i + size] += is_top
            for inner in range(i + 1, i + size):
                crossing[inner] += weight
                top_crossing[inner] += is_top
    kinds = "".join(_kind(w) for w in norm)
    once = [k == "C" and support.get(_stem(w), 0) < 2 for k, w in zip(kinds, norm, strict=True)]
    banned = [w in _HONORIFICS or w in _HEDGES or w.split("'")[0] in wording.named for w in norm]
    ago = _time_ago(norm)
    for first, after in ago:
        banned[first:after] = [True] * (after - first)
    subject = [w.lower().strip(",.") in _SUBJECTS for w in words]
    concern_to = _running([w in _CONCERNS for w in norm])
    verb_after_to = [
        w == "to" and k == "C" and after[:1].islower() and n not in wording.nouns
        for w, k, after, n in zip(norm, kinds[1:], words[1:], norm[1:], strict=False)
    ]
    verb_to = _running(verb_after_to)
    # Ending before a content word or a number cuts a noun phrase short ("year | one");
    # before "today" or "now" it does not.
    cut = [k in "CM" and w not in _DANGLING for k, w in zip(kinds[1:], norm[1:], strict=True)]
    cut += [False]
    cut.insert(0, False)
    for first, _ in ago:
        cut[first] = False  # "tablets in the shop | two years ago" ends a noun phrase
    # Phrases ending at or before k: ends[: k + 1].
    weight_to, top_to = _running(ends)[1:], _running(top_ends)[1:]
    once_to, banned_to, subject_to = _running(once), _running(banned), _running(subject)
    for start in range(n - LABEL_WORDS[0] + 1):
        if not _starts_ok(words[start], norm[start]) or _split_off(words, kinds, start):
            continue
        for end in range(start + LABEL_WORDS[0], min(n, start + LABEL_WORDS[1]) + 1):
            if banned_to[end] - banned_to[start] or subject_to[end] - subject_to[start + 1]:
                break  # longer stretches hold the same word
            if verb_to[end - 1] - verb_to[start]:
                continue  # "to" and a verb ("website to accept")
            if top_to[end] - top_to[start] - top_crossing[start] <= 0:
                continue
            if not _SHAPE.fullmatch(kinds, start, end) or cut[end]:
                continue  # a noun phrase cut short ("our big Excel" of "our big Excel board")
            if not _ends_ok(words[end - 1], norm[end - 1], words[end - 2], wording.nouns):
                continue
            if _says_itself(norm[start:end], kinds[start:end]):
                continue
            weight = weight_to[end] - weight_to[start] - crossing[start]
            unsupported = once_to[end] - once_to[start]
            size = end - start
            if concern_to[end] - concern_to[start]:
                weight *= CONCERN
            # Two words are no cheaper than three: "wrong rate for two pay periods" may beat
            # "wrong rate".
            score = weight * UNSUPPORTED**unsupported / (1 + 0.2 * max(3, size))
            yield " ".join(words[start:end]), score


def _says_itself(norm: list[str], kinds: str) -> bool:
    """An "X is Y" stretch whose Y repeats a word of X ("slips are transient slips"): it
    defines nothing, the concern is in the words around it."""
    if "B" not in kinds:
        return False
    copula = kinds.index("B")
    before = {_stem(w) for w, k in zip(norm[:copula], kinds[:copula], strict=True) if k == "C"}
    after = [w for w, k in zip(norm[copula + 1 :], kinds[copula + 1 :], strict=True) if k == "C"]
    return any(_stem(w) in before for w in after)


# "two years ago", "a couple of weeks ago": when something happened, never part of a label
# ("time clock app two years ago" is labelled "time clock app", not "app two years").
_UNITS_OF_TIME = {"year", "years", "month", "months", "week", "weeks", "day", "days"}


def _time_ago(norm: list[str]) -> list[tuple[int, int]]:
    """The word spans of the clause saying how long ago something was: "[a] [couple of | few |
    several | one number] unit ago"; a number before that belongs to the words before it
    ("Windows 10 two years ago")."""
    spans = []
    for i, word in enumerate(norm):
        if word != "ago" or not i or norm[i - 1] not in _UNITS_OF_TIME:
            continue
        first = i - 1
        before = norm[:first]
        if before[-2:] == ["couple", "of"]:
            first -= 2
        elif before[-1:] and (before[-1] in ("few", "several") or _number(before[-1])):
            first -= 1
        if first and norm[first - 1] in ("a", "an"):
            first -= 1
        spans.append((first, i + 1))
    return spans


def _split_off(words: list[str], kinds: str, start: int) -> bool:
    """Whether a stretch starting here would drop the first half of a name ("Pro" of "UKG
    Pro", "Year's Eve" of "New Year's Eve")."""
    if not start:
        return False
    before, first = words[start - 1], words[start]
    return before[:1].isupper() and first[:1].isupper()


# What a label may look like, by the kind of each word (see `_kind`): a noun phrase, maybe with
# one prepositional phrase ("reminder texts through NexHealth", "charge on every invoice"), or a
# short "X is Y" clause ("caregivers are older"), perhaps led by "not", "too", "already", "per",
# "after"... Kinds: C content word, M number, L a lead ("not", "too", "already"), E a lead that
# is also a determiner ("no", "every", "per"), Q a lead that is also a preposition ("without",
# "after"), P preposition, D determiner, B a form of "be", X anything else.
_GROUP = r"C(?:[CM]*C)?"
_SHAPE = re.compile(
    rf"(?:(?:L[PQE]?[DE]?|[EQ][DE]?)?{_GROUP}(?:[PQE][DE]?M?{_GROUP})?)|{_GROUP}BL?[DE]?M?{_GROUP}"
)
_KINDS = {
    "L": {"not", "too", "only", "already"},
    "E": {"no", "every", "per"},
    "Q": {"without", "after", "before", "during"},
    "P": {"to", "into", "for", "with", "on", "in", "of", "through", "from", "at", "by", "over",
          "across", "between", "against", "than", "about", "onto", "under", "around", "via"},
    "D": {"the", "a", "an", "our", "your", "their", "my", "his", "her", "its", "this", "that",
          "these", "those", "each", "any", "all", "other", "another", "some", "more"},
    "B": {"is", "are", "was", "were", "isn't", "aren't", "wasn't", "weren't"},
}  # fmt: skip
_KIND = {word: kind for kind, words in _KINDS.items() for word in words}


def _kind(norm: str) -> str:
    if norm in _KIND:
        return _KIND[norm]
    if _number(norm):
        return "M"
    if len(norm) > 1 and (norm.split("'")[0] not in stop_words() or norm in _NOUNS):
        return "C"
    return "X"


def _running(values: list[float] | list[int] | list[bool]) -> list[float]:
    """Prefix sums: out[k] is the sum of values[:k]."""
    out = [0.0]
    for value in values:
        out.append(out[-1] + value)
    return out


def _norm(word: str) -> str:
    """A label word as `phrases` spells it ("ADP's," -> "adp's"); "" for a word it splits."""
    found = _WORD.findall(word.lower())
    return found[0].strip("'-") if len(found) == 1 else ""


def _starts_ok(word: str, norm: str) -> bool:
    if norm in _LEADING_OK:
        return True
    if not norm or word.lower() in _OPENERS or norm in _DANGLING or _number(norm):
        return False
    if norm in _UNITS:
        return False  # "percent on freight" has lost its number
    return not _adverb(norm) and (norm.split("'")[0] not in stop_words() or norm in _NOUNS)


def _ends_ok(word: str, norm: str, before: str, nouns: Iterable[str] = ()) -> bool:
    if not norm or norm in _DANGLING or _adverb(norm) or word.endswith(("'", "'s")):
        return False  # "partners'", "the team's" lose the noun they belong to
    if _number(norm):
        return norm[0].isdigit() and any(c.isupper() for c in before)  # "SOC 2", not "for 40"
    if norm.endswith(("ing", "ed")) and norm not in nouns and _kind(_norm(before)) != "B":
        return False  # "patient changed", "end up keying"; "the pricing", "are bundled" end well
    return norm.split("'")[0] not in stop_words() or norm in _NOUNS


def _number(norm: str) -> bool:
    return norm.replace(".", "").replace(",", "").isdigit() or norm in _NUMBERS


def _adverb(norm: str) -> bool:
    return norm.endswith("ly") and len(norm) > 3 and norm not in _LY_OK


def _label_edges_ok(words: list[str]) -> bool:
    """Whether a stretch may be a label by its edges: no pronoun, filler or hedge first, no
    stop word, verb or adverb last, and no subject inside (that starts a second clause)."""
    if any(w.lower().strip(",.") in _SUBJECTS for w in words[1:]):
        return False
    before = words[-2] if len(words) > 1 else ""
    return _starts_ok(words[0], _norm(words[0])) and _ends_ok(words[-1], _norm(words[-1]), before)


def label_clauses(text: str) -> list[list[str]]:
    """The sentence's clauses as word lists, spoken filler and leading openers removed."""
    text = _SPOKEN.sub("", text.replace("\u2019", "'"))
    out = []
    for clause in _CLAUSE.split(text):
        for part in _CONJUNCTION.split(f" {clause} "):
            words = part.split()
            while words and words[0].lower() in _OPENERS:
                words = words[1:]
            if len(words) >= LABEL_WORDS[0]:
                out.append(words)
    return out


# A dot inside a word keeps it whole: "bill.com", "owner.com", "2.5".
_WORD = re.compile(r"[a-z0-9](?:[a-z0-9'&-]|\.(?=[a-z0-9]))*")


_CLAUSE = re.compile(r"[,;:!?()\"]+|\.+(?=\s|$)|\s-\s")


@functools.cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS | FILLERS)


def phrases(text: str) -> set[str]:
    """1-3 word phrases within one clause made only of words that are not stop words (nor
    contractions of one: "i'll", "don't"); single numbers are not phrases."""
    stop = stop_words()
    found: set[str] = set()
    for clause in _CLAUSE.split(text.lower()):
        run: list[str] = []
        for word in [*_WORD.findall(clause), ""]:
            word = word.strip("'-")
            if len(word) > 1 and word.split("'")[0] not in stop:
                run.append(word)
                continue
            for i, first in enumerate(run):
                if not first.replace(".", "").isdigit():
                    found.add(first)
                if i + 1 < len(run):
                    found.add(f"{first} {run[i + 1]}")
                if i + 2 < len(run):
                    found.add(f"{first} {run[i + 1]} {run[i + 2]}")
            run = []
    return found


def distinct(ranked: list[str], limit: int) -> list[str]:
    """Top phrases, skipping any that repeats a word of one already taken, or a near form of it
    ("renewal" after "auto-renews", "pricing" after "price")."""
    chosen: list[str] = []
    used: list[str] = []
    for phrase in ranked:
        words = [w for part in phrase.split() for w in part.split("-")]
        if any(_near(w, u) for w in words for u in used):
            continue
        chosen.append(phrase)
        used.extend(words)
        if len(chosen) == limit:
            break
    return chosen


def _near(a: str, b: str) -> bool:
    """Two forms of one word: one is the other plus an ending, or they share all but the last
    two letters of the shorter and at least four ("signing", "signed"; "price", "pricing")."""
    a, b = a.removesuffix("'s"), b.removesuffix("'s")
    short = min(len(a), len(b))
    common = 0
    while common < short and a[common] == b[common]:
        common += 1
    return common == short or common >= max(4, short - 2)


QUOTE_WORDS = 6  # a shorter quote ("That would be the only way.") says too little on its own
QUOTE_OVERLAP = 0.6  # a quote sharing this share of its words with one taken says it again


def pick_quotes(items: list[Objection], limit: int) -> list[Quote]:
    """The most typical members, verbatim: one per call first, so the quotes show the theme's
    spread; sentences long enough to stand alone before short ones; none that repeats the words
    of one already picked."""
    picked: list[Objection] = []
    seen_calls: set[str] = set()
    seen_words: list[set[str]] = []
    for pass_ in range(4):
        for objection in items:
            if len(picked) == limit:
                break
            if any(objection is p for p in picked):
                continue
            words = set(_WORD.findall(objection.sentence.text.lower()))
            long_enough = len(objection.sentence.text.split()) >= QUOTE_WORDS
            new_call = objection.sentence.call_id not in seen_calls
            repeats = any(
                len(words & s) > QUOTE_OVERLAP * min(len(words), len(s)) for s in seen_words
            )
            # The first pass wants all three; each later one gives up the last one left.
            if not all((not repeats, long_enough, new_call)[: 3 - pass_]):
                continue
            picked.append(objection)
            seen_calls.add(objection.sentence.call_id)
            seen_words.append(words)
    return [
        Quote(o.sentence.text, o.sentence.call_id, o.sentence.start, o.sentence.end) for o in picked
    ]
