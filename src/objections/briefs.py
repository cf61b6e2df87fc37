"""Briefs: a Markdown brief per theme a writer can work from, from Jinja2 templates.

Templates load from the user's folder first, then the shipped one. A brief the writer has edited
is never overwritten silently: its front matter carries the hash of what we generated, and an
edited file gets the new version written beside it instead (unless forced).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from objections import report
from objections.errors import ConfigError, ObjectionsError
from objections.models import BriefType, Call, Sentence, Theme

SHIPPED_TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_FOR: dict[str, str] = {
    "faq": "faq.md.j2",
    "comparison": "comparison.md.j2",
    "case-study": "case-study.md.j2",
}
# The theme's fields a brief template sees as `theme.*` (contexts are stored as JSON).
THEME_FIELDS = ("id", "label", "category", "brief_type", "rank", "coverage", "mentions", "calls",
                "accounts", "lost_deals", "trend", "previous_mentions", "score")  # fmt: skip
HASH_LINE = re.compile(r"^generated_hash: ([0-9a-f]{16})$", re.MULTILINE)

# {topic}: the theme's label without its category ("per-location fees"), a noun phrase or a
# short clause, so it always follows a colon or a question.
TITLES: dict[str, list[str]] = {
    "price": ["{company} pricing, explained: {topic}", "Is {company} worth it? {Topic}",
              "What {company} really costs: {topic}"],
    "timing": ["When to switch: {topic}", "Rolling out {company} without the disruption: {topic}",
               "Why now? {Topic}"],
    "authority": ["How to get {company} approved: {topic}",
                  "What your approvers will ask: {topic}", "A buyer's guide to sign-off: {topic}"],
    "need": ["Signs it's time to change: {topic}", "The hidden cost of the status quo: {topic}",
             "Is what you do today enough? {Topic}"],
    "integration": ["How {company} works with your systems: {topic}",
                    "{company} integrations: {topic}", "Will it fit? {Topic}"],
    "security": ["{company} security and privacy: {topic}",
                 "How {company} protects your data: {topic}",
                 "Your data questions, answered: {topic}"],
    "implementation": ["Rolling out {company}: {topic}",
                       "What implementation really takes: {topic}",
                       "From kickoff to adoption: {topic}"],
    "contract": ["{company} contract terms: {topic}", "Flexible terms: {topic}",
                 "What you sign up for: {topic}"],
    "proof": ["How a team like yours proved the value of {company}",
              "Results you can check: {topic}", "Customer story: {topic}"],
    "competitor": ["{company} vs {competitor}: what buyers weigh before switching",
                   "Switching from {competitor} to {company}",
                   "{competitor} or {company}? An honest comparison"],
}  # fmt: skip
QUESTIONS: dict[str, list[str]] = {
    "price": ["How is it priced, and what will we actually pay month to month?",
              "What does it cost compared with what we do today?"],
    "timing": ["How long does it take, and can we start without disrupting our busy period?"],
    "authority": ["What does our approver need to see to sign off?"],
    "need": ["What does our current way of working cost us that we don't see?"],
    "integration": ["Which of our systems does it connect to, and how does data flow?"],
    "security": ["What data is collected, who sees it, and which certifications back that up?"],
    "implementation": ["What does rollout take from our team, and how do people learn it?"],
    "contract": ["What are the term, renewal and cancellation terms?"],
    "proof": ["Which customers like us use it, and what results can they show?"],
    "competitor": ["How is it different from what we use now, and what does switching take?"],
}  # fmt: skip


def brief_type(theme: Theme) -> BriefType:
    """comparison for a named alternative, case-study for proof, faq otherwise."""
    if theme.category == "competitor":
        return "comparison"
    if theme.category == "proof":
        return "case-study"
    named = Counter(c for o in theme.objections for c in o.competitors)
    if named and named.most_common(1)[0][1] * 2 > len(theme.objections):
        return "comparison"
    return "faq"


def environment(template_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(d)) for d in template_dirs]
    loaders.append(jinja2.FileSystemLoader(str(SHIPPED_TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        # Every printed value: markup from a quote, account or asset title is shown, never run.
        finalize=lambda value: no_markup(value) if isinstance(value, str) else value,
    )
    env.filters["timestamp"] = timestamp
    env.filters["plain"] = plain
    # A YAML/JSON string as a person reads it: Jinja's own escapes ' as \u0027 for HTML.
    env.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env


def timestamp(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def no_markup(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """Text safe inside Markdown: no raw HTML, one line."""
    return no_markup(re.sub(r"\s+", " ", text)).strip()


def slug(text: str, limit: int = 50) -> str:
    """A file-name-safe slug: lowercase ASCII letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "theme"


def brief_path(folder: Path, theme_id: str, label: str) -> Path:
    """A theme's brief keeps its first file name, even when a later run relabels the theme."""
    existing = sorted(p for p in folder.glob(f"{theme_id}-*.md") if not p.name.endswith(".new.md"))
    return existing[0] if existing else folder / f"{theme_id}-{slug(label)}.md"


def brief_context(
    theme: Theme,
    calls: dict[str, Call],
    sentences: dict[str, list[Sentence]],
    company: str,
    today: date,
) -> dict[str, Any]:
    """Everything a brief template receives (documented in the README)."""
    competitor = theme.competitors[0] if theme.competitors else "your current tool"
    topic = theme_topic(theme)
    values = {"company": company or "our product", "topic": topic, "competitor": competitor,
              "Topic": topic[:1].upper() + topic[1:]}  # fmt: skip
    titles = [t.format(**values) for t in TITLES.get(theme.category, TITLES["need"])]
    titles = [t[0].upper() + t[1:] for t in titles]
    quotes = [
        {"text": q.text, "call_id": q.call_id, "start": q.start, "end": q.end,
         "account": calls[q.call_id].account if q.call_id in calls else None}
        for q in theme.quotes
    ]  # fmt: skip
    asked = buyer_questions(theme, sentences)
    return {
        "theme": {k: getattr(theme, k) for k in THEME_FIELDS},
        "company": company,
        "generated": today.isoformat(),
        "title": titles[0],
        "alternatives": titles[1:],
        "topic": topic,
        "objection": theme.quotes[0].text if theme.quotes else "",
        "quotes": quotes,
        "questions": asked + [q for q in QUESTIONS.get(theme.category, []) if q not in asked],
        "buyer_questions": asked,
        "competitors": competitor_lines(theme),
        "keywords": theme.keywords,
        "points": points(theme),
        "assets": [
            {
                "asset": {"id": m.asset.id, "title": m.asset.title, "url": m.asset.url},
                "score": m.score,
            }
            for m in theme.assets
            if m.on_topic
        ],
        "missing": missing_concerns(theme),
        "missing_keywords": missing_terms(theme) if theme.coverage == "partial" else [],
        "lost_deals": theme.lost_deals,
    }


def theme_topic(theme: Theme) -> str:
    """What the theme is about in a few words: its label without the category, else its first
    keyword, else the category."""
    _, _, phrase = theme.label.partition(": ")
    return phrase.strip() or (theme.keywords[0] if theme.keywords else theme.category)


# Lead-ins that carry no question: "And so, my other question is, ..."
LEAD_IN = re.compile(
    r"^(?:(?:(?:and|so|but|okay|ok|also|um|uh|yeah|honestly)\b,?|(?:well|right|look|then),)\s+)*"
    r"(?:(?:my|the|one|another)\s+(?:other\s+|next\s+|last\s+|big\s+)?question\s+is,?\s+)?",
    re.IGNORECASE,
)


def as_question(text: str) -> str:
    """A buyer's question as a page heading: without lead-ins, starting with a capital."""
    stripped = LEAD_IN.sub("", text.strip())
    if len(stripped.split()) < 3:
        return text.strip()
    return stripped[0].upper() + stripped[1:]


# A long sentence ending "..., you know?" is a statement; a short one may still ask.
TAG_QUESTION = re.compile(r",\s*(?:you know|right|okay|ok|huh|yeah)\?$", re.IGNORECASE)
QUESTION_WORDS = (4, 30)  # shorter is a prompt ("Why?"); longer is a story with a question mark


def is_question(text: str) -> bool:
    """A question a page could answer."""
    text = text.rstrip()
    words = len(text.split())
    shaped = QUESTION_WORDS[0] <= words <= QUESTION_WORDS[1]
    return text.endswith("?") and shaped and not (words > 12 and TAG_QUESTION.search(text))


def buyer_questions(
    theme: Theme, sentences: dict[str, list[Sentence]], limit: int = 6
) -> list[str]:
    """Questions buyers asked close to where they raised this objection."""
    found: list[str] = []
    for objection in theme.objections:
        call = sentences.get(objection.sentence.call_id, [])
        i = objection.sentence.index
        for s in call[max(0, i - 3) : i + 4]:
            if s.role == "buyer" and is_question(s.text):
                question = as_question(s.text)
                if question not in found:
                    found.append(question)
    return found[:limit]


def points(theme: Theme) -> list[str]:
    """The keywords that are not (part of) a competitor's name: what buyers weigh."""
    names = {w.lower() for name in theme.competitors for w in re.findall(r"[\w'.&-]+", name)}
    return [
        k for k in theme.keywords if not {w.removesuffix("'s") for w in k.lower().split()} <= names
    ]


def competitor_lines(theme: Theme) -> list[dict[str, Any]]:
    lines = []
    for name in theme.competitors:
        said = [o.sentence.text for o in theme.objections if name in o.competitors]
        lines.append({"name": name, "mentions": len(said), "said": said[:2]})
    return lines


def missing_concerns(theme: Theme) -> list[str]:
    """For partial coverage: the buyers' sentences no passage of the best asset answers (one per
    distinct concern, set by `assets.match_theme`): what an update of it has to add."""
    if theme.coverage != "partial" or not theme.assets:
        return []
    return theme.assets[0].missing


def missing_terms(theme: Theme) -> list[str]:
    """Buyer keywords the best asset never mentions: what an update should add."""
    if not theme.assets:
        return []
    text = theme.assets[0].asset.text.lower()
    return [k for k in theme.keywords if k.lower() not in text]


def render(context: dict[str, Any], env: jinja2.Environment) -> str:
    return env.get_template(TEMPLATE_FOR[context["theme"]["brief_type"]]).render(**context)


def remove_stale(folder: Path, current: set[Path]) -> list[Path]:
    """Remove the briefs this tool wrote for themes a run no longer briefs (the theme faded out
    of the period, or an asset covers it now); a brief a writer edited stays. Returns the
    edited ones kept."""
    kept = []
    for path in sorted(folder.glob("t-*.md")) if folder.is_dir() else []:
        if path in current or path.with_suffix(".new.md") in current:
            continue  # this run's brief, or an edited one with this run's version beside it
        if was_edited(path.read_text(encoding="utf-8", errors="replace")):
            kept.append(path)
        else:
            path.unlink()
    return kept


def write_brief(path: Path, text: str, force: bool = False) -> Path:
    """Write a brief, keeping a writer's edits: an edited file gets `.new.md` beside it."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    stamped = text.replace("generated_hash: pending", f"generated_hash: {digest}", 1)
    if path.exists() and not force and was_edited(path.read_text(encoding="utf-8")):
        path = path.with_suffix(".new.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(stamped, encoding="utf-8")
    return path


def was_edited(existing: str) -> bool:
    """True when the file no longer hashes to what we generated."""
    match = HASH_LINE.search(existing)
    if not match:
        return True
    original = existing.replace(f"generated_hash: {match.group(1)}", "generated_hash: pending", 1)
    return hashlib.sha256(original.encode()).hexdigest()[:16] != match.group(1)


def check_templates(template_dirs: list[Path]) -> None:
    """Compile every template a run renders, so a broken user template stops the run before
    any work is done."""
    with template_errors():
        env = environment(template_dirs)
        for name in TEMPLATE_FOR.values():
            env.get_template(name)
        report.make_environment(template_dirs).get_template(report.TEMPLATE_NAME)


@contextmanager
def template_errors() -> Iterator[None]:
    """A broken or missing template as one line (a usage error), not a traceback."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name}:{exc.lineno}"
        raise ConfigError(f"template {where}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(
            f"template not found: {exc.name} (templates load only from --templates and the"
            " shipped folder, by names inside them)"
        ) from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"template error: {exc.message or exc}") from None


def inside(path: Path, folder: Path) -> Path:
    """`path`, after checking it lies within `folder` (a file name made from data, such as a
    theme label, never writes elsewhere)."""
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ObjectionsError(f"refusing to write {path}: outside {folder}")
    return path
