"""Audio vs text: what transcription errors cost the pipeline (issue #3).

Renders a sample of a labelled set's calls (the devset format) to stereo audio with espeak-ng,
the way scripts/make_recordings.py renders the bundled recordings (rep on the left channel,
buyers on the right, a voice per speaker, turns one after another with short gaps, the other
channel silent meanwhile; FLAC at 16 kHz), then runs the real pipeline twice in one process:

  text:  on the calls' labelled JSON, as `objections eval` does;
  audio: on the recordings, transcribed by the default Whisper tiny.en transcriber with the set's
         company vocabulary, then the same roles, sentences, detector and themes.

Both runs are scored against the same labels by evaluate.evaluate_run (predicted sentences line
up with labelled ones by word overlap within a call, evaluate.align, so an ASR transcript
is scored too), and the script prints them side by side: detection precision / recall / F1,
category accuracy, the run's own theme ARI on the labelled objections it found, plus, for the
audio, word error rate (rep, buyer, overall; lower case, no punctuation, numbers spelt out,
fillers dropped: transcribe_speed.normalize), how often each competitor named in the script is
still recognised in the transcript, transcription speed (x real time; the model loads before
timing), and examples of the objections transcription lost.

    .venv/bin/python benchmarks/audio_eval.py [SET] [--calls N] [--keep DIR] [--json]

SET defaults to ../shared/devset/shiftwise. --calls N (default 8) picks N calls spread evenly
over the set's sorted call ids, always the same ones. --keep DIR keeps the audio, the manifest,
both runs' outputs and results.json there instead of in a temporary folder.

Requires espeak-ng and sox (scripts/test.sh installs them). Heavy: Whisper runs on every call.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "benchmarks")]

import make_recordings as render  # noqa: E402
from transcribe_speed import machine, normalize  # noqa: E402

from objections.competitors import find_competitors  # noqa: E402
from objections.config import Config  # noqa: E402
from objections.evaluate import (  # noqa: E402
    GoldSentence,
    RunDetections,
    align,
    evaluate_run,
    gold_sentences,
    load_gold,
    run_detections,
)
from objections.models import Call, Turn  # noqa: E402
from objections.pipeline import Components, Pipeline, RunOptions  # noqa: E402
from objections.sentences import call_sentences  # noqa: E402
from objections.store import Store  # noqa: E402
from objections.transcribe import WhisperTranscriber  # noqa: E402

DEFAULT_SET = ROOT.parent / "shared" / "devset" / "shiftwise"
REP_VOICE = render.DEFAULT_VOICES["rep"]
# One voice per buyer, in order of appearance: calls in the devset have up to two buyers.
BUYER_VOICES = [render.DEFAULT_VOICES["buyer"], "en-us+m3", "en-gb"]
ROLES = ("rep", "buyer")
EXAMPLES = 5
DROPPED_RUN = 8  # this many scripted words missing in a row: a stretch of speech lost, not misheard


# --- choosing and rendering calls ---------------------------------------------------------------


def choose_calls(paths: list[Path], n: int) -> list[Path]:
    """n calls spread evenly over the sorted list: first and last always, the same every run."""
    paths = sorted(paths)
    if n >= len(paths):
        return paths
    if n <= 1:
        return paths[:n]
    picks = sorted({round(i * (len(paths) - 1) / (n - 1)) for i in range(n)})
    return [paths[i] for i in picks]


def voices(doc: dict[str, Any]) -> dict[str, str]:
    """Speaker name -> espeak-ng voice: the rep's, and a different one for each buyer."""
    chosen, buyers = {}, 0
    for turn in doc["turns"]:
        speaker = turn["speaker"]
        if speaker in chosen:
            continue
        if doc["speakers"].get(speaker) == "rep":
            chosen[speaker] = REP_VOICE
        else:
            chosen[speaker] = BUYER_VOICES[min(buyers, len(BUYER_VOICES) - 1)]
            buyers += 1
    return chosen


def turn_text(turn: dict[str, Any]) -> str:
    return " ".join(s["text"] for s in turn["sentences"])


def render_call(doc: dict[str, Any], folder: Path, workdir: Path) -> tuple[Path, float]:
    """The call as a stereo FLAC named by its call id (so the run's call id is the label's);
    returns the file and its length in seconds."""
    voice = voices(doc)
    roles = [{"speaker": doc["speakers"].get(t["speaker"], "buyer")} for t in doc["turns"]]
    clips = [render.synthesize(turn_text(t), voice[t["speaker"]], workdir) for t in doc["turns"]]
    stereo, _timings = render.assemble(roles, clips)
    wav = workdir / "call.wav"
    render.write_wav_stereo(wav, stereo)
    flac = folder / f"{doc['call_id']}.flac"
    render.run_tool(["sox", "--no-dither", str(wav), "-r", str(render.OUT_RATE), str(flac)])
    return flac, len(stereo) / render.TTS_RATE


def write_manifest(docs: list[dict[str, Any]], folder: Path) -> Path:
    """The calls' dates, accounts and outcomes for the audio run, as the JSON gives them."""
    rows = [{**{k: d.get(k) or "" for k in render.MANIFEST_COLUMNS}, "file": f"{d['call_id']}.flac"}
            for d in docs]  # fmt: skip
    path = folder / "manifest.csv"
    path.write_bytes(render.manifest_bytes(rows))
    return path


# --- the runs -----------------------------------------------------------------------------------


class TimedTranscriber:
    """The real transcriber, with the wall time of each file it transcribes added up."""

    def __init__(self, inner: WhisperTranscriber) -> None:
        self.inner = inner
        self.id = inner.id
        self.seconds = 0.0

    def transcribe(self, path: Path) -> list[Turn]:
        started = time.perf_counter()
        try:
            return self.inner.transcribe(path)
        finally:
            self.seconds += time.perf_counter() - started

    def stats(self) -> dict[str, Any] | None:
        return self.inner.stats()


def word_edits(ref: list[str], hyp: list[str]) -> Counter[str]:
    """Substitutions, deletions and insertions of the cheapest word alignment, plus the words
    lost in runs of DROPPED_RUN or more deletions in a row ('dropped')."""
    rows = [list(range(len(hyp) + 1))]
    for i, r in enumerate(ref, start=1):
        row = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (r != h))
        rows.append(row)
    counts, run = Counter[str](), 0
    i, j = len(ref), len(hyp)
    while i or j:
        if i and j and rows[i][j] == rows[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            counts["sub"] += ref[i - 1] != hyp[j - 1]
            i, j, op = i - 1, j - 1, "match"
        elif i and rows[i][j] == rows[i - 1][j] + 1:
            counts["del"] += 1
            i, op = i - 1, "del"
        else:
            counts["ins"] += 1
            j, op = j - 1, "ins"
        run = run + 1 if op == "del" else _close_run(counts, run)
    _close_run(counts, run)
    return counts


def _close_run(counts: Counter[str], run: int) -> int:
    if run >= DROPPED_RUN:
        counts["dropped"] += run
        counts["dropped_runs"] += 1
    return 0


def word_errors(calls: dict[str, Call], docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """WER of each call's transcript against the scripted text, per role and overall, and how
    the errors split into substitutions, deletions (and whole stretches dropped), insertions."""
    edits = {role: Counter[str]() for role in ROLES}
    per_call = {}
    for call_id, call in calls.items():
        doc = docs[call_id]
        row = {}
        for role in ROLES:
            said = " ".join(
                turn_text(t) for t in doc["turns"] if doc["speakers"].get(t["speaker"]) == role
            )
            heard = " ".join(t.text for t in call.turns if t.role == role)
            ref = normalize(said)
            counts = word_edits(ref, normalize(heard))
            counts["words"] = len(ref)
            edits[role] += counts
            row[role] = _rate(counts)
        per_call[call_id] = row
    total = sum(edits.values(), Counter[str]())
    result: dict[str, Any] = {role: _rate(edits[role]) for role in ROLES}
    result["overall"] = _rate(total)
    result["words"] = total["words"]
    result["errors"] = {k: total[k] for k in ("sub", "del", "ins", "dropped", "dropped_runs")}
    result["per_call"] = per_call
    return result


def _rate(counts: Counter[str]) -> float:
    return round((counts["sub"] + counts["del"] + counts["ins"]) / max(1, counts["words"]), 4)


def competitors_heard(
    calls: dict[str, Call], docs: dict[str, dict[str, Any]], names: list[str]
) -> dict[str, list[int]]:
    """Per configured competitor: [sentences naming it in the transcript (at most as many as in
    the script, per call), sentences naming it in the script], by the detector's own matcher
    (which knows the usual ASR spellings)."""
    counts = {name: [0, 0] for name in names}
    for call_id, call in calls.items():
        said = [s["text"] for t in docs[call_id]["turns"] for s in t["sentences"]]
        heard = [s.text for s in call_sentences(call)]
        for name in names:
            n_said = sum(name in find_competitors(text, [name]) for text in said)
            n_heard = sum(name in find_competitors(text, [name]) for text in heard)
            counts[name][0] += min(n_said, n_heard)
            counts[name][1] += n_said
    return {name: c for name, c in counts.items() if c[1]}


def found_labels(run: RunDetections, gold: list[GoldSentence]) -> dict[int, str]:
    """Labelled sentence index -> the category the run gave it, for each one it detected."""
    mapping = align(run.sentences, gold)
    index = {(s.call_id, s.index): n for n, s in enumerate(run.sentences)}
    found = {}
    for objection in run.objections:
        g = mapping.get(index[(objection.sentence.call_id, objection.sentence.index)])
        if g is not None and gold[g].category:
            found[g] = objection.category
    return found


def held_recall(run: RunDetections, gold: list[GoldSentence]) -> float:
    """Share of labelled objections whose words (60% or more) sit inside some sentence the run
    flagged, however the sentences were split: an ASR sentence that runs two objections
    together, flagged, holds both, where one-to-one alignment credits only one."""
    flagged: dict[str, list[set[str]]] = {}
    for objection in run.objections:
        words = set(normalize(objection.sentence.text))
        flagged.setdefault(objection.sentence.call_id, []).append(words)
    labelled = [g for g in gold if g.category]
    held = 0
    for label in labelled:
        words = set(normalize(label.text))
        held += any(len(words & f) >= 0.6 * len(words) for f in flagged.get(label.call_id, []))
    return round(held / max(1, len(labelled)), 3)


def closest_sentence(gold: GoldSentence, run: RunDetections) -> tuple[str, float]:
    """The transcript sentence with the most words in common with a labelled one."""
    words = set(normalize(gold.text))
    best, score = "", 0.0
    for sentence in run.sentences:
        if sentence.call_id != gold.call_id:
            continue
        heard = set(normalize(sentence.text))
        overlap = len(words & heard) / max(1, min(len(words), len(heard)))
        if overlap > score:
            best, score = sentence.text, overlap
    return best, round(score, 2)


def lost_examples(
    text: RunDetections, audio: RunDetections, gold: list[GoldSentence]
) -> dict[str, list[dict[str, Any]]]:
    """Objections the text run found and the audio run missed or miscategorised, each with the
    transcript sentence closest to it."""
    in_text, in_audio = found_labels(text, gold), found_labels(audio, gold)
    missed, recategorised = [], []
    for g, category in sorted(in_text.items()):
        label = gold[g]
        heard, overlap = closest_sentence(label, audio)
        entry = {"call_id": label.call_id, "category": label.category, "said": label.text,
                 "heard": heard, "overlap": overlap}  # fmt: skip
        if g not in in_audio:
            missed.append(entry)
        elif category == label.category != in_audio[g]:
            recategorised.append({**entry, "audio_category": in_audio[g]})
    return {"missed": missed, "recategorised": recategorised}


def run_both(set_root: Path, n_calls: int, work: Path, log: Any) -> dict[str, Any]:
    gold_set = load_gold(set_root)
    labelled = choose_calls(gold_set.calls, n_calls)
    docs = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in labelled}
    docs = {d["call_id"]: d for d in docs.values()}
    audio_dir = work / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    render.require_tools()
    audio_seconds, recordings = 0.0, []
    with tempfile.TemporaryDirectory(prefix="audio_eval_tts_") as tmp:
        for doc in docs.values():
            path, seconds = render_call(doc, audio_dir, Path(tmp))
            recordings.append(path)
            audio_seconds += seconds
            log(f"rendered {path.name}: {seconds:.0f} s")
    manifest = write_manifest(list(docs.values()), audio_dir)

    config = Config()
    config.company = gold_set.company
    transcriber = TimedTranscriber(WhisperTranscriber(config.transcribe, config.company.vocabulary))
    transcriber.inner.model  # noqa: B018 (the model loads before timing starts)
    store = Store(work / "store.db")
    try:
        pipeline = Pipeline(config, store, Components(transcriber=transcriber), log=log)
        log("text run ...")
        text = run_detections(
            pipeline, RunOptions(inputs=labelled, out=work / "out-text", config=config)
        )
        text_scores = evaluate_run(text, labelled)
        log("audio run (Whisper on every call) ...")
        audio = run_detections(
            pipeline,
            RunOptions(inputs=recordings, out=work / "out-audio", config=config, manifest=manifest),
        )
        audio_scores = evaluate_run(audio, labelled)
        audio_calls = dict(pipeline.calls)
    finally:
        store.close()

    gold = [g for path in labelled for g in gold_sentences(path) if g.role == "buyer"]
    for scores, run in ((text_scores, text), (audio_scores, audio)):
        scores["sentences"] = len(run.sentences)
        scores["detection"]["held_recall"] = held_recall(run, gold)
    return {
        "set": str(set_root),
        "calls": list(docs),
        "audio_seconds": round(audio_seconds, 1),
        "transcribe_seconds": round(transcriber.seconds, 1),
        "x_realtime": round(audio_seconds / transcriber.seconds, 1)
        if transcriber.seconds
        else None,
        "transcriber": transcriber.id,
        "wer": word_errors(audio_calls, docs),
        "text": text_scores,
        "audio": audio_scores,
        "competitors": competitors_heard(audio_calls, docs, config.company.competitors),
        "examples": lost_examples(text, audio, gold),
    }


# --- output -------------------------------------------------------------------------------------


def format_results(r: dict[str, Any]) -> str:
    minutes = r["audio_seconds"] / 60
    wer = r["wer"]
    lines = [
        f"set: {r['set']}",
        f"calls: {len(r['calls'])} ({', '.join(r['calls'])}), {minutes:.1f} min of stereo audio",
        f"transcription: {r['x_realtime']}x real time ({r['transcribe_seconds']:.0f} s)",
        f"WER: rep {wer['rep']:.1%}  buyer {wer['buyer']:.1%}  overall {wer['overall']:.1%} "
        f"({wer['words']} scripted words)",
        f"  errors: {wer['errors']['sub']} substituted, {wer['errors']['del']} deleted "
        f"({wer['errors']['dropped']} of them in {wer['errors']['dropped_runs']} runs of "
        f"{DROPPED_RUN}+ words: speech lost), {wer['errors']['ins']} inserted",
        "",
        f"{'':26}{'text':>8}{'audio':>8}",
    ]
    text, audio = r["text"], r["audio"]
    for key in ("precision", "recall", "f1", "category_accuracy"):
        lines.append(
            f"{key.replace('_', ' '):26}{text['detection'][key]:>8.3f}"
            f"{audio['detection'][key]:>8.3f}"
        )
    lines.append(
        f"{'recall, however split':26}{text['detection']['held_recall']:>8.3f}"
        f"{audio['detection']['held_recall']:>8.3f}"
    )
    lines.append(
        f"{'run theme ARI':26}{text['run_themes']['ari']:>8.3f}{audio['run_themes']['ari']:>8.3f}"
    )
    lines.append(
        f"{'detected / gold':26}"
        f"{text['detection']['detected']:>4}/{text['detection']['gold_objections']:<3}"
        f"{audio['detection']['detected']:>4}/{audio['detection']['gold_objections']:<3}"
    )
    lines.append(f"{'buyer sentences':26}{text['sentences']:>8}{audio['sentences']:>8}")
    for name, run in (("text", text), ("audio", audio)):
        for failure in run["failed"]:
            lines.append(f"failed ({name}): {failure['file']}: {failure['error']}")
    heard = ", ".join(f"{n} {h}/{s}" for n, (h, s) in r["competitors"].items())
    lines.append(f"competitor mentions recognised in the transcript: {heard or 'none scripted'}")
    examples = r["examples"]
    lines.append(
        f"\nobjections found in text but missed from audio: {len(examples['missed'])}; "
        f"found in both but miscategorised from audio only: {len(examples['recategorised'])}"
    )
    for entry in examples["missed"][:EXAMPLES] + examples["recategorised"][:EXAMPLES]:
        extra = f" -> {entry['audio_category']}" if "audio_category" in entry else ""
        lines.append(f"  {entry['call_id']} [{entry['category']}{extra}]")
        lines.append(f"    said:  {entry['said']}")
        lines.append(f"    heard: {entry['heard']} (overlap {entry['overlap']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", nargs="?", type=Path, default=DEFAULT_SET, help="labelled set")
    parser.add_argument("--calls", type=int, default=8, help="how many calls (default 8)")
    parser.add_argument("--keep", type=Path, default=None, help="keep audio and outputs here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not (args.set / "calls").is_dir():
        print(f"error: {args.set}: no calls/ folder (a labelled set?)", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    info = machine()
    work = args.keep or Path(tempfile.mkdtemp(prefix="audio_eval_"))
    try:
        results = run_both(args.set, args.calls, work, log)
    except render.ToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    info["load_average_after"] = list(os.getloadavg())
    results["machine"] = info
    if args.keep:
        (args.keep / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        load = " ".join(f"{x:.2f}" for x in info["load_average"])
        after = " ".join(f"{x:.2f}" for x in info["load_average_after"])
        print(f"machine: {info['cores']} cores, {info['cpu']}; load {load} before, {after} after")
        print(format_results(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
