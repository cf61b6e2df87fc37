"""Forget: purge a call, and everything derived from it, from the store.

Each run records what it published from which call (`run_sources`), so a call's quotes can be
taken out of stored runs as well as its transcripts and embeddings.
"""

from __future__ import annotations

from typing import Any

from objections.errors import ObjectionsError
from objections.models import Call, Sentence
from objections.sentences import call_sentences
from objections.store import Store, text_key


def run_sources(
    calls: dict[str, Call],
    sentences: dict[str, list[Sentence]],
    doc: dict[str, Any],
    contexts: list[dict[str, Any]],
) -> dict[str, Any]:
    """What a run published from which call: the calls (id to sha256) and, per call, the hashes
    of its sentences the doc or a brief quotes. `forget` purges a run with it."""
    published = {text_key(t) for t in published_texts(doc, contexts)}
    texts = {}
    for call_id, items in sentences.items():
        keys = sorted({text_key(s.text) for s in items} & published)
        if keys:
            texts[call_id] = keys
    return {"calls": {c.call_id: c.sha256 for c in calls.values()}, "texts": texts}


def published_texts(doc: dict[str, Any], contexts: list[dict[str, Any]]) -> list[str]:
    """Every buyer sentence a run's doc and briefs quote."""
    found = [q["text"] for t in doc.get("themes", []) for q in t.get("quotes", [])]
    found += [q["text"] for q in doc.get("other", {}).get("quotes", [])]
    found += [
        m for t in doc.get("themes", []) for a in t.get("assets", []) for m in a.get("missing", [])
    ]
    for entry in contexts:
        context = entry["context"]
        found += [context.get("objection", ""), *(q["text"] for q in context.get("quotes", []))]
        found += [*context.get("questions", []), *context.get("buyer_questions", [])]
        found += context.get("missing", [])  # what an asset leaves unanswered, in buyers' words
        found += [s for c in context.get("competitors", []) for s in c.get("said", [])]
    return [t for t in found if t]


def forget(store: Store, call_id: str) -> dict[str, Any]:
    """Remove a call and everything derived from it from the store: its row, transcripts,
    the embeddings of texts no other call produced, and every quote of it in stored runs (their
    docs and briefs, so `objections report` and `objections briefs` no longer show it). Its hash
    is kept, so a later run over the same folder skips the file. Raises ObjectionsError for an
    unknown call id."""
    rows = store.calls_by_id(call_id)
    if not rows:
        raise ObjectionsError(f"no call {call_id!r} in {store.path}")
    removed = {"calls": 0, "transcripts": 0, "embeddings": 0, "quotes": 0, "runs": 0}
    for row in rows:
        texts = store.linked_texts(row["sha256"])
        for turns in store.transcripts_of(row["sha256"]):  # stores older than the links
            call = Call(call_id, row["source"], row["sha256"], "audio", turns=turns)
            texts |= {text_key(s.text) for s in call_sentences(call)}
        runs = []
        for run in store.finished_runs():
            changed, dropped = purge_run(run, call_id, row["sha256"])
            if changed:
                runs.append(run)
                removed["quotes"] += dropped
        counts = store.forget_call(row["sha256"], texts, runs)
        for key, value in counts.items():
            removed[key] += value
        removed["runs"] += len(runs)
    return removed


def purge_run(run: dict[str, Any], call_id: str, sha256: str) -> tuple[bool, int]:
    """Drop, in place, every quote of the call from a stored run: whether the run involved the
    call, and how many distinct sentences of it the run quoted."""
    sources = run["sources"]
    included = sources.get("calls", {}).get(call_id) == sha256
    keys = set(sources.get("texts", {}).get(call_id, [])) if included else set()
    doc = run["doc"]
    # Runs stored before `sources` existed: what their quotes attribute to the call.
    quoted = [q for t in doc.get("themes", []) for q in t.get("quotes", [])]
    quoted += doc.get("other", {}).get("quotes", [])
    quoted += [q for b in run["briefs"] for q in b["context"].get("quotes", [])]
    keys |= {text_key(q["text"]) for q in quoted if q.get("call_id") == call_id}
    if not keys and not included:
        return False, 0

    def gone(text: str) -> bool:
        return text_key(text) in keys

    def keep(quotes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [q for q in quotes if q.get("call_id") != call_id and not gone(q["text"])]

    quoted_keys = {text_key(t) for t in published_texts(doc, run["briefs"])}
    for theme in doc.get("themes", []):
        theme["quotes"] = keep(theme.get("quotes", []))
        for asset in theme.get("assets", []):
            asset["missing"] = [m for m in asset.get("missing", []) if not gone(m)]
    if "other" in doc:
        doc["other"]["quotes"] = keep(doc["other"].get("quotes", []))
    for entry in run["briefs"]:
        context = entry["context"]
        context["quotes"] = keep(context.get("quotes", []))
        if gone(context.get("objection", "")):
            context["objection"] = context["quotes"][0]["text"] if context["quotes"] else ""
        for name in ("questions", "buyer_questions", "missing"):
            context[name] = [q for q in context.get(name, []) if not gone(q)]
        for competitor in context.get("competitors", []):
            competitor["said"] = [s for s in competitor.get("said", []) if not gone(s)]
    sources.get("calls", {}).pop(call_id, None)
    sources.get("texts", {}).pop(call_id, None)
    if "ledger" in sources:
        sources["ledger"]["calls"].pop(call_id, None)
        sources["ledger"]["mentions"] = [
            m for m in sources["ledger"]["mentions"] if m[0] != call_id
        ]
    return True, len(quoted_keys & keys)
