"""Pipeline: ingest -> transcribe -> roles -> sentences -> detect -> embed -> themes -> rank ->
match assets -> briefs + report. Orchestration only; each stage lives in its own module."""

from __future__ import annotations

import importlib
import os
import re
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from objections import assets as assets_stage
from objections import briefs as briefs_stage
from objections import containers, ingest, redact, report, transcripts
from objections.competitors import find_competitors, mask_competitors
from objections.config import Config, EmbedConfig
from objections.detect import (
    ClassifierDetector,
    Detector,
    Example,
    cache_dir,
    carry_follow_ups,
    category_training,
    load_corpus,
)
from objections.embed import Embedder, SentenceTransformerEmbedder, mask_specifics
from objections.encoder import TunedEncoder
from objections.errors import ConfigError, InputError, NothingToDo, ObjectionsError
from objections.executor import (
    ExecutorSpec,
    LocalExecutor,
    Transcribed,
    TranscriptionCrash,
    WorkerFailed,
    make_executor,
    transcribe_one,
)
from objections.forget import run_sources
from objections.labels import pick_quotes
from objections.models import Call, Objection, Sentence, Theme, Turn
from objections.outputs import objection_entry, quote_entry, theme_entry, write_outputs
from objections.rank import Period, period_for, rank_themes, weekly_counts
from objections.roles import assign_roles
from objections.sentences import call_sentences
from objections.store import Store, text_key
from objections.themes import build_themes
from objections.transcribe import Transcriber, WhisperTranscriber, speech_problem

EMBED_CHUNK = 256


class Progress:
    """Progress reporting hooks; the CLI shows bars, the library stays silent."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def finish(self) -> None: ...


@dataclass
class Components:
    """The swappable stages. None builds the default (real models, loaded on first use)."""

    transcriber: Transcriber | None = None
    embedder: Embedder | None = None
    detector: Detector | None = None
    # The default detector's category model's sentence vectors (None: per [detect] category_model).
    category_embedder: Embedder | None = None


@dataclass
class RunOptions:
    inputs: list[Path]
    out: Path
    config: Config
    manifest: Path | None = None
    assets: Path | None = None
    since: date | None = None
    until: date | None = None
    templates: Path | None = None
    force: bool = False
    # Where audio is transcribed: this process, N worker processes, or a Ray cluster.
    executor: ExecutorSpec = field(default_factory=ExecutorSpec)


@dataclass
class RunResult:
    calls: int = 0
    transcribed: int = 0
    objections: int = 0
    themes: int = 0
    gaps: int = 0
    briefs: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    # Files skipped because `objections forget` removed their call.
    forgotten: list[str] = field(default_factory=list)
    # Failures that are bugs, not bad input (also listed in `failed`).
    internal_errors: int = 0
    out: str = ""
    report: str = ""
    doc: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("doc")
        data["failed"] = [{"file": f, "error": e} for f, e in self.failed]
        data["duplicates"] = [{"file": f, "same_as": s} for f, s in self.duplicates]
        return data


class Pipeline:
    def __init__(
        self,
        config: Config,
        store: Store,
        components: Components | None = None,
        progress: Progress | None = None,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.config = config
        self.store = store
        parts = components or components_from_env(config) or Components()
        self.transcriber = parts.transcriber or WhisperTranscriber(
            config.transcribe, config.company.vocabulary
        )
        self.embedder = parts.embedder or SentenceTransformerEmbedder(config.embed)
        self.progress = progress or Progress()
        self.log = log
        self.category_embedder = parts.category_embedder
        self.detector = parts.detector or self._classifier()
        self.calls: dict[str, Call] = {}
        self.last_objections: list[Objection] = []
        self._hashes: dict[Path, str] = {}  # audio files' sha256, computed once per run
        self._failed: dict[str, Transcribed] = {}  # audio (by sha256) that failed to transcribe
        self._stored: dict[str, list[Turn]] = {}  # transcripts found in the store, by sha256

    def _classifier(self) -> ClassifierDetector:
        """The default detector. Its category model reads its own sentence vectors (tuned
        encoder by default: encoder.py), embedded through the store like every other."""
        corpus = load_corpus()
        self.category_embedder = self.category_embedder or self._category_model(corpus)
        category = None
        if self.category_embedder is not None:
            encoder = self.category_embedder
            category = (lambda texts: self.embed(texts, model=encoder), encoder.id)
        return ClassifierDetector(
            self.embed,
            self.embedder.id,
            self.config.detect.threshold,
            self.config.company.competitors,
            corpus,
            category,
        )

    def _category_model(self, corpus: list[Example]) -> Embedder | None:
        """Per [detect] category_model: the embedder tuned on the corpus, a named model, or
        None (the embedder's own vectors: "stock", or an embedder that cannot be tuned)."""
        choice = self.config.detect.category_model
        if choice == "stock":
            return None
        if choice != "tuned":
            return SentenceTransformerEmbedder(EmbedConfig(model=choice))
        if not isinstance(self.embedder, SentenceTransformerEmbedder):
            return None
        training = category_training(corpus)
        return TunedEncoder(self.embedder, training, cache_dir(), self._training_progress)

    def _training_progress(self, done: int, total: int) -> None:
        if done == 1:
            self.log(f"tuning the category model on the shipped corpus, once ({total} steps, "
                     f"a few minutes on a laptop; cached in {cache_dir()})")  # fmt: skip
            self.progress.start("Tuning the category model", total)
        self.progress.advance()
        if done == total:
            self.progress.finish()

    # --- stage helpers ----------------------------------------------------------------------

    def embed(
        self, texts: list[str], owners: list[str] | None = None, model: Embedder | None = None
    ) -> np.ndarray:
        """Embeddings through the store: each distinct text is embedded once per model
        (`model`, else the embedder). `owners`, row-aligned, are the calls (sha256) the texts
        came from: `forget` needs them."""
        embedder = model or self.embedder
        keys = [text_key(t) for t in texts]
        if owners:
            self.store.link_texts(set(zip(owners, keys, strict=True)))
        found = self.store.embeddings(sorted(set(keys)), embedder.id)
        missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if missing:
            if isinstance(embedder, TunedEncoder):
                embedder.model  # noqa: B018 - tuned (once) before the embedding progress starts
            self.progress.start("Embedding", len(missing))
            # In chunks, each saved at once: progress moves, and a killed run keeps its work.
            for start in range(0, len(missing), EMBED_CHUNK):
                chunk = missing[start : start + EMBED_CHUNK]
                vectors = embedder.embed([t for _, t in chunk])
                fresh = {k: vectors[i] for i, (k, _) in enumerate(chunk)}
                self.store.save_embeddings(fresh, embedder.id)
                found.update(fresh)
                self.progress.advance(len(chunk))
            self.progress.finish()
        if not keys:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def load_calls(
        self,
        files: list[Path],
        manifest: dict[str, ingest.ManifestRow],
        executor: ExecutorSpec | None = None,
    ) -> RunResult:
        """Ingest every file; transcribe audio not yet in the store. Bad files are reported.
        Transcription comes first (on `executor`, each transcript saved as it completes); the
        calls are then built in input order, so ids and outputs never depend on which worker
        finished first."""
        result = RunResult()
        self.calls = {}
        self.transcribe_pending(files, executor or ExecutorSpec(), result)
        seen: dict[str, str] = {}
        self.progress.start("Calls", len(files))
        for path in files:
            try:
                call = self.load_call(path, manifest, result)
            except InputError as exc:
                result.failed.append((str(path), exc.reason))
                self.log(f"error: {exc}")
            except ObjectionsError:
                raise  # the model or the store is unusable: no point trying the next file
            except Exception as exc:  # a bug: name the file, keep the batch going
                what = str(exc) if isinstance(exc, TranscriptionCrash) else _describe(exc)
                reason = f"internal error: {what}"
                result.failed.append((str(path), reason))
                result.internal_errors += 1
                self.log(f"error: {path}: {reason} (OBJECTIONS_DEBUG=1 for details)")
                if os.environ.get("OBJECTIONS_DEBUG"):
                    traceback.print_exc()
            else:
                if call is None:
                    result.forgotten.append(str(path))
                    self.log(f"skipped: {path} was forgotten (objections forget)")
                elif call.sha256 in seen:
                    result.duplicates.append((str(path), seen[call.sha256]))
                    self.log(f"skipped: {path} is the same call as {seen[call.sha256]}")
                else:
                    seen[call.sha256] = str(path)
                    call.call_id = _unique(call.call_id, self.calls)
                    self.calls[call.call_id] = call
                    self.store.save_call(call)
                    if "heuristic" in call.roles_method:  # a guess: show it
                        self.log(f"roles: {call.call_id}: {describe_roles(call)}")
            self.progress.advance()
        self.progress.finish()
        result.calls = len(self.calls)
        return result

    def load_call(
        self, path: Path, manifest: dict[str, ingest.ManifestRow], result: RunResult
    ) -> Call | None:
        """The file as a Call with roles; None for a call `objections forget` removed."""
        if not path.exists():
            raise InputError(str(path), "no such file")
        ingest.check_type(path)
        sha = self._hashes.get(path) or ingest.sha256_file(path)
        if self.store.is_forgotten(sha):
            return None
        kind = "audio" if ingest.is_audio(path) else "transcript"
        call = ingest.new_call(path, sha, kind, manifest)
        if kind == "transcript":
            transcripts.parse_transcript(path, ingest.read_bytes(path), call)
        else:
            call.turns = self.transcript(path, sha, result)
        call.date = call.date or ingest.file_date(path)
        company = self.config.company
        return assign_roles(call, company.reps, self.config.audio.rep_channel, company.name)

    def transcribe_pending(self, files: list[Path], spec: ExecutorSpec, result: RunResult) -> None:
        """Transcribe the audio among `files` whose transcript is not stored yet, on the
        executor `spec` names, saving each transcript the moment it is done: this process is
        the store's only writer, and a killed run loses only what was in flight. Failures are
        kept (by audio hash) for `transcript` to raise when that call is loaded."""
        self._failed = {}
        todo = self.untranscribed(files)
        if not todo:
            return
        executor = make_executor(spec, self.transcriber, len(todo), self.log)
        # Here, where this process transcribes; workers settle their own device on loading.
        if isinstance(executor, LocalExecutor) and isinstance(self.transcriber, WhisperTranscriber):
            self.transcriber.settle_device()
            if self.transcriber.notice:
                self.log(self.transcriber.notice)
        if len(todo) > 1 and not isinstance(executor, LocalExecutor):
            self.log(f"transcribing {len(todo)} calls {executor.description}")
        self.progress.start("Transcribing", len(todo))
        try:
            for done in executor.transcribe(list(todo)):
                sha = todo[done.path]
                if done.fatal:  # the model cannot run: nothing else can be transcribed either
                    raise WorkerFailed(*done.fatal)
                if done.turns is None:
                    self._failed[sha] = done
                else:
                    self.store.save_transcript(sha, self.transcriber.id, done.turns, done.stats)
                    result.transcribed += 1
                self.progress.advance()
        finally:
            executor.close()
            self.progress.finish()

    def untranscribed(self, files: list[Path]) -> dict[Path, str]:
        """Audio files (and their hashes) whose transcript by this model is not stored, each
        recording once however many names it has. Files that cannot be hashed are left to
        `load_call` to report; audio that fails its checks is kept as failed."""
        self._hashes, self._stored = {}, {}
        todo: dict[Path, str] = {}
        wanted: set[str] = set()
        for path in files:
            if not (ingest.is_audio(path) and path.is_file()):
                continue
            try:
                sha = self._hashes[path] = ingest.sha256_file(path)
            except InputError:
                continue
            if sha in wanted or sha in self._failed or self.store.is_forgotten(sha):
                continue
            stored = self.store.transcript(sha, self.transcriber.id)
            if stored is not None:
                self._stored[sha] = stored  # read once: `transcript` takes it from here
                continue
            try:
                containers.check_audio(path)
            except InputError as exc:
                self._failed[sha] = Transcribed(path, problem=exc.reason)
            except Exception as exc:  # a bug in the checks: this file only
                self._failed[sha] = Transcribed(path, crash=_describe(exc))
            else:
                todo[path] = sha
                wanted.add(sha)
        return todo

    def transcript(self, path: Path, sha: str, result: RunResult) -> list[Turn]:
        """An audio file's turns, from the store (`transcribe_pending` put them there). Audio
        that is not a whole track, holds no speech, or whose speech Whisper could only guess at
        is an InputError."""
        failed = self._failed.get(sha)
        error = failed.error(path) if failed else None
        if error:
            raise error
        turns = self._stored.pop(sha, None) or self.store.transcript(sha, self.transcriber.id)
        stats = self.store.transcript_stats(sha, self.transcriber.id)
        if turns is None:  # not among the files `transcribe_pending` saw
            outcome = transcribe_one(self.transcriber, path)
            error = outcome.error(path)
            if error:
                raise error
            turns, stats = outcome.turns or [], outcome.stats
            self.store.save_transcript(sha, self.transcriber.id, turns, stats)
            result.transcribed += 1
        problem = speech_problem(stats, self.config.transcribe)
        if problem:
            raise InputError(str(path), problem)
        if not turns:
            raise InputError(str(path), "no speech found in the audio")
        return turns

    def detect(self, calls: list[Call]) -> tuple[list[Objection], dict[str, list[Sentence]]]:
        by_call = {c.call_id: call_sentences(c) for c in calls}
        buyer = [s for sentences in by_call.values() for s in sentences if s.role != "rep"]
        owners = [self.calls[s.call_id].sha256 for s in buyer]
        vectors = self.embed([s.text for s in buyer], owners)
        objections = self.detector.detect(buyer, vectors)
        carry_follow_ups(objections)
        if isinstance(self.detector, ClassifierDetector):
            # Its category model embedded objections again, competitor names masked: linked to
            # their calls, so `objections forget` finds those vectors too.
            names = self.config.company.competitors
            self.store.link_texts(
                {
                    (
                        self.calls[o.sentence.call_id].sha256,
                        text_key(mask_competitors(o.sentence.text, names)),
                    )
                    for o in objections
                }
            )
        for objection in objections:
            objection.competitors = find_competitors(
                objection.sentence.text, self.config.company.competitors
            )
        return objections, by_call

    # --- the run ----------------------------------------------------------------------------

    def run(self, options: RunOptions) -> RunResult:
        files = ingest.discover(options.inputs)
        if not files:
            raise NothingToDo("no audio or transcript files found in the inputs")
        briefs_stage.check_templates(_dirs(options.templates))
        options.executor.check()
        manifest, manifest_error = {}, None
        if options.manifest:
            try:
                manifest = ingest.load_manifest(options.manifest)
            except InputError as exc:  # the calls still count; they lose their metadata
                manifest_error = (exc.path, f"{exc.reason}; calls processed without it")
                self.log(f"error: {exc.path}: {manifest_error[1]}")
        run_id = self.store.start_run()
        result = self.load_calls(files, manifest, options.executor)
        if manifest_error:
            result.failed.insert(0, manifest_error)
        days = [date.fromisoformat(c.date) for c in self.calls.values() if c.date]
        period = period_for(days, options.since, options.until)
        window = [c for c in self.calls.values() if _in(c, period.previous_since, period.until)]
        objections, sentences = self.detect(window)
        self.last_objections = objections
        self.publishable(sentences, objections)
        themes, other = self.theme(objections, period)
        self.match_assets(themes, options.assets)
        out = options.out
        out.mkdir(parents=True, exist_ok=True)
        doc = self.document(themes, other, period, objections)
        contexts = self.write_briefs(themes, sentences, options, doc)
        counted = [o for o in objections if _in_period(o, self.calls, period)]
        write_outputs(out, doc, [objection_entry(o, self.calls) for o in counted])
        with briefs_stage.template_errors():
            report_path = report.write_html(doc, out / "report.html", _dirs(options.templates))
        self.store.save_themes(
            [(t.id, t.category, t.label, np.asarray(t.centroid)) for t in themes]
        )
        result.objections = doc["objections"]
        result.themes = len(themes)
        result.gaps = sum(1 for t in themes if t.coverage == "gap")
        result.briefs = len(contexts)
        result.out, result.report, result.doc = str(out), str(report_path), doc
        sources = run_sources(self.calls, sentences, doc, contexts)
        sources["ledger"] = ledger(window, objections)
        self.store.finish_run(run_id, result.summary(), doc, contexts, sources)
        return result

    def publishable(
        self, sentences: dict[str, list[Sentence]], objections: list[Objection]
    ) -> None:
        """Redact every sentence that can reach an output (see `redact.redact_published`)."""
        speakers = {t.speaker for c in self.calls.values() for t in c.turns}
        speakers |= {s for c in self.calls.values() for s in c.speakers}
        redact.redact_published(
            [s for call in sentences.values() for s in call],
            objections,
            self.config.privacy,
            names=[*speakers, *self.config.company.reps],
            competitors=self.config.company.competitors,
        )

    def theme(
        self, objections: list[Objection], period: Period
    ) -> tuple[list[Theme], list[Objection]]:
        names = self.config.company.competitors + sorted(
            {c for o in objections for c in o.competitors}
        )
        masked = [mask_specifics(o.sentence.text, names) for o in objections]
        owners = [self.calls[o.sentence.call_id].sha256 for o in objections]
        vectors = self.embed(masked, owners) if objections else np.zeros((0, 1), dtype=np.float32)
        # People's names ("channel 0" and "speaker 1" are not names: a transcriber's labels).
        people = {t.speaker for c in self.calls.values() for t in c.turns}
        people = {p for p in people if not re.fullmatch(r"(channel|speaker) \d+", p)}
        people |= {*self.config.company.reps, *self.config.privacy.names}
        themes, other = build_themes(
            objections, vectors, self.config.themes, self.store.known_themes(), people
        )
        ranked = rank_themes(themes, self.calls, period, self.config.rank)
        kept = []
        for theme in ranked:
            theme.objections = [o for o in theme.objections if _in_period(o, self.calls, period)]
            if theme.objections:
                theme.quotes = pick_quotes(theme.objections, self.config.themes.quotes)
                kept.append(theme)
        for n, theme in enumerate(kept, start=1):
            theme.rank = n
        return kept, [o for o in other if _in_period(o, self.calls, period)]

    def match_assets(self, themes: list[Theme], path: Path | None) -> None:
        found = assets_stage.load_assets(path, on_error=self.log) if path else []
        index = assets_stage.AssetIndex(found, self.embed)
        for theme in themes:
            if found:
                members = self.embed(
                    [o.sentence.text for o in theme.objections],
                    [self.calls[o.sentence.call_id].sha256 for o in theme.objections],
                )
                assets_stage.match_theme(theme, members, index, self.config.assets)
            theme.brief_type = briefs_stage.brief_type(theme)

    def write_briefs(
        self,
        themes: list[Theme],
        sentences: dict[str, list[Sentence]],
        options: RunOptions,
        doc: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """A brief for every theme whose coverage `[briefs] coverage` names (by default those
        no asset covers)."""
        env = briefs_stage.environment(_dirs(options.templates))
        folder = options.out / "briefs"
        contexts, current = [], set()
        entries = {t["id"]: t for t in doc["themes"]}
        for theme in themes:
            if theme.coverage not in self.config.briefs.coverage:
                continue
            context = briefs_stage.brief_context(
                theme, self.calls, sentences, self.config.company.name, date.today()
            )
            path = briefs_stage.brief_path(folder, theme.id, theme.label)
            briefs_stage.inside(path, folder)
            with briefs_stage.template_errors():
                text = briefs_stage.render(context, env)
            written = briefs_stage.write_brief(path, text, options.force)
            current.add(written)
            theme.brief_path = str(written.relative_to(options.out))
            entries[theme.id]["brief"] = theme.brief_path
            contexts.append({"theme_id": theme.id, "path": theme.brief_path, "context": context})
        for path in briefs_stage.remove_stale(folder, current):
            self.log(f"kept {path}: edited by hand, its theme has no brief in this run")
        return contexts

    def document(
        self, themes: list[Theme], other: list[Objection], period: Period, all_: list[Objection]
    ) -> dict[str, Any]:
        counted = [c for c in self.calls.values() if _in(c, period.since, period.until)]
        weeks = sorted({w for t in themes for w in weekly_counts(t, self.calls)})
        return {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "company": self.config.company.name,
            "period": {"since": period.since.isoformat(), "until": period.until.isoformat()},
            "calls": len(counted),
            "objections": sum(1 for o in all_ if _in_period(o, self.calls, period)),
            "weeks": weeks,
            "themes": [theme_entry(t, self.calls) for t in themes],
            "other": {
                "mentions": len(other),
                "quotes": [quote_entry(q, self.calls) for q in pick_quotes(other, 10)],
            },
        }


def describe_roles(call: Call) -> str:
    """Who was taken for the rep and who for the buyer, and how."""
    reps = [s for s, r in call.speakers.items() if r == "rep"] or ["nobody"]
    buyers = [s for s, r in call.speakers.items() if r == "buyer"]
    return f"rep {', '.join(reps)}; buyer {', '.join(buyers)} ({call.roles_method})"


def pending_transcription(store: Store, transcriber_id: str, inputs: list[Path]) -> list[str]:
    """Audio a run would still transcribe with this model: among the inputs' files, or without
    inputs among the audio calls the store knows."""
    if not inputs:
        return store.audio_without_transcript(transcriber_id)
    audio = [f for f in ingest.discover(inputs) if ingest.is_audio(f) and f.is_file()]
    return [
        str(f) for f in audio if store.transcript(ingest.sha256_file(f), transcriber_id) is None
    ]


def ledger(calls: list[Call], objections: list[Objection]) -> dict[str, Any]:
    """What `objections report --since` needs to count and rank a run's themes again: each
    call's date, account and outcome, and each mention's call and theme."""
    return {
        "calls": {c.call_id: {"date": c.date, "account": c.account, "outcome": c.outcome}
                  for c in calls},
        "mentions": [[o.sentence.call_id, o.theme_id] for o in objections if o.theme_id],
    }  # fmt: skip


def components_from_env(config: Config) -> Components | None:
    """A development hook: OBJECTIONS_COMPONENTS="module:function" names a function that takes
    the Config and returns the Components to run with. Tests use it to run the real command, in
    a subprocess, with fake models; unset (always, in normal use), the default models run."""
    target = os.environ.get("OBJECTIONS_COMPONENTS")
    if not target:
        return None
    module, _, name = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"OBJECTIONS_COMPONENTS={target!r}: {exc}") from None
    components: Components = factory(config)
    return components


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _unique(call_id: str, taken: dict[str, Call]) -> str:
    candidate, n = call_id, 2
    while candidate in taken:
        candidate, n = f"{call_id}-{n}", n + 1
    return candidate


def _in(call: Call, since: date, until: date) -> bool:
    return call.date is None or since <= date.fromisoformat(call.date) <= until


def _in_period(objection: Objection, calls: dict[str, Call], period: Period) -> bool:
    return _in(calls[objection.sentence.call_id], period.since, period.until)


def _dirs(templates: Path | None) -> list[Path]:
    return [templates] if templates else []
