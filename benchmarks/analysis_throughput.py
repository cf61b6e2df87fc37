"""Analysis throughput once calls are transcribed: 1,000 calls of transcripts, then a rerun.

Generates N synthetic calls (default 1,000) in the native JSON transcript format
(../shared/devset/README.md) by sampling and recombining the labelled buyer and rep lines of
src/objections/data/training_*.jsonl into calls of about 30 turns, dated over 8 weeks
(deterministic for a seed), into a temporary folder. Then, with the real default models
(MiniLM, the trained detector), a temporary store and the demo company's config and assets:

  1. the first run: `Pipeline(...).run(RunOptions(...))` in this process, every stage timed by
     wrapping the pipeline object's methods (pipeline.py is not changed);
  2. a rerun in this process with nothing new (a fresh Store and Pipeline on the same database);
  3. the same rerun as a batch job runs it: `python -m objections run ...` in a new process
     (imports and model loads included), unless --no-cli;

and prints wall times, calls per minute, and peak RSS (getrusage: this process for 1-2, the
child for 3). Targets from the issue: first run under 5 minutes for 1,000 calls, rerun under
10 s, peak RSS under 2 GB.

    .venv/bin/python benchmarks/analysis_throughput.py [--calls N] [--seed S] [--json]
        [--profile first|rerun] [--keep DIR] [--no-cli]

--profile runs that step under cProfile and prints the top functions by cumulative and by own
time. The detector's trained models come from the user cache (OBJECTIONS_CACHE); whether they
were there is printed, since training them costs about a minute once.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "objections" / "data"
RECORDINGS = ROOT / "recordings"
CONFIG = RECORDINGS / "objections.toml"
ASSETS = RECORDINGS / "assets"
START = date(2026, 9, 28)  # a Monday; calls fall in the 8 weeks from here
WEEKS = 8
OBJECTION_SHARE = 0.2  # of buyer turns (the devset has 15% of buyer sentences)
PHASES = ["load_calls", "detect", "publishable", "theme", "match_assets", "document",
          "write_briefs"]  # fmt: skip
PACKAGES = ["objections", "sentence-transformers", "torch", "hdbscan", "scikit-learn", "numpy"]

# Recombination: the same line said with a different lead-in or tail, as people repeat themselves.
LEADS = ["", "", "", "", "Yeah, ", "So, ", "Honestly, ", "I mean, ", "Okay, ", "Right, ",
         "Look, ", "Well, ", "Sure, but ", "Got it, and ", "Um, "]  # fmt: skip
TAILS = ["", "", "", "", "you know", "if that makes sense", "to be honest", "at least for now",
         "for our team", "on our side", "as things stand", "I'd say"]  # fmt: skip
FIRST = ["Greg", "Rachel", "Dana", "Omar", "Priya", "Luis", "Hannah", "Tom", "Keisha", "Marco"]
LAST = ["Holt", "Kim", "Reyes", "Patel", "Novak", "Brooks", "Okafor", "Mendez", "Carver", "Ito"]
ACCOUNT_A = ["Northgate", "Bluefield", "Harbor", "Summit", "Cedar", "Ironwood", "Maple", "Granite"]
ACCOUNT_A += [
    "Riverside",
    "Lakeshore",
    "Pinecrest",
    "Copper",
    "Silverline",
    "Oakridge",
    "Westbrook",
]
ACCOUNT_B = ["Supply Co.", "Logistics", "Health", "Builders", "Foods", "Manufacturing", "Labs",
             "Distribution", "Partners", "Group"]  # fmt: skip


# --- synthetic calls ----------------------------------------------------------------------------


def corpus() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(DATA.glob("training_*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def vary(text: str, rng: random.Random) -> str:
    """A lead-in and a tail around a line, keeping its final punctuation."""
    text = text.strip()
    lead, tail = rng.choice(LEADS), rng.choice(TAILS)
    if lead and text[:1].isupper() and not text.startswith(("I ", "I'")):
        text = text[0].lower() + text[1:]
    if tail:
        match = re.search(r"[.!?]+$", text)
        end = match.group(0) if match else "."
        text = f"{text[: match.start()] if match else text}, {tail}{end}"
    return lead + text


def say(turns: list[dict[str, Any]], speaker: str, lines: list[str], clock: float) -> float:
    """Append a turn at `clock` lasting as long as its words take (2.5 a second)."""
    words = sum(len(line.split()) for line in lines)
    end = round(clock + words / 2.5, 1)
    turns.append({"speaker": speaker, "start": round(clock, 1), "end": end,
                  "sentences": [{"text": t, "label": None} for t in lines]})  # fmt: skip
    return end + 0.4


def make_calls(n: int, seed: int, folder: Path, reps: list[str]) -> dict[str, int]:
    """Write n calls as <folder>/SYN-0001.json ...; return counts of what went in."""
    rng = random.Random(seed)
    rows = corpus()
    objections = [r for r in rows if r["role"] == "buyer" and r["category"]]
    neutral = [r for r in rows if r["role"] == "buyer" and not r["category"]]
    rep_lines = sorted({r["text"] for r in rows if r["role"] == "rep"}
                       | {r["context"] for r in rows if r.get("context")})  # fmt: skip
    accounts = [f"{a} {b}" for a in ACCOUNT_A for b in ACCOUNT_B]
    rng.shuffle(accounts)
    accounts = accounts[: max(1, n // 4)]  # about four calls per account
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"calls": n, "turns": 0, "buyer_sentences": 0, "objection_sentences": 0}
    for i in range(n):
        rep = rng.choice(reps)
        buyers = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.choice([1, 1, 2]))]
        turns: list[dict[str, Any]] = []
        clock = 0.0

        for _ in range(rng.randint(13, 17)):  # rep, buyer pairs: about 30 turns
            row = rng.choice(objections if rng.random() < OBJECTION_SHARE else neutral)
            lead = row.get("context") or rng.choice(rep_lines)
            clock = say(turns, rep, [lead] + ([rng.choice(rep_lines)] if rng.random() < 0.3
                                              else []), clock)  # fmt: skip
            lines = [vary(row["text"], rng)]
            if rng.random() < 0.25:
                lines.append(vary(rng.choice(neutral)["text"], rng))
            clock = say(turns, rng.choice(buyers), lines, clock)
            counts["buyer_sentences"] += len(lines)
            counts["objection_sentences"] += 1 if row["category"] else 0
        counts["turns"] += len(turns)
        call = {
            "call_id": f"SYN-{i + 1:04d}",
            "date": (START + timedelta(days=rng.randrange(WEEKS * 7))).isoformat(),
            "account": rng.choice(accounts),
            "stage": rng.choice(["discovery", "demo", "negotiation"]),
            "outcome": rng.choice(["won", "lost", "open", "open"]),
            "speakers": {rep: "rep", **{b: "buyer" for b in buyers}},
            "turns": turns,
        }
        text = json.dumps(call, indent=1, ensure_ascii=False)
        (folder / f"SYN-{i + 1:04d}.json").write_text(text, encoding="utf-8")
    return counts


# --- timing -------------------------------------------------------------------------------------


class Phases:
    """Wall time of the pipeline object's stage methods, and of the embedding model inside them,
    by wrapping them on the instances."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.texts_embedded = 0

    def wrap(self, owner: Any, name: str, label: str | None = None) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return
        key = label or name

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)

    def embedder(self, embedder: Any) -> None:
        original = embedder.embed

        def embed(texts: list[str]) -> Any:
            self.texts_embedded += len(texts)
            return original(texts)

        embedder.embed = embed
        self.wrap(embedder, "embed", "  of which the embedding model")


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; getrusage where there is no /proc)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def pipeline_run(calls: Path, out: Path, db: Path, phases: Phases | None) -> tuple[Any, float]:
    from objections.config import load_config
    from objections.pipeline import Pipeline, RunOptions
    from objections.store import Store

    config = load_config(CONFIG)
    started = time.perf_counter()
    store = Store(db)
    pipeline = Pipeline(config, store)
    if phases is not None:
        for name in PHASES:
            phases.wrap(pipeline, name)
        phases.embedder(pipeline.embedder)
    result = pipeline.run(RunOptions(inputs=[calls], out=out, config=config, assets=ASSETS))
    seconds = time.perf_counter() - started
    close = getattr(store, "close", None)
    if close:
        close()
    return result, seconds


def profiled(fn: Callable[[], Any], top: int = 25) -> tuple[Any, str]:
    profile = cProfile.Profile()
    result = profile.runcall(fn)
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return result, text.getvalue()


# `python -m objections ARGS...` that reports its own peak RSS on exit. VmHWM, not getrusage:
# Linux carries ru_maxrss across fork and exec, so a child would report this process's peak.
CLI = """import atexit, re, runpy, sys
def peak():
    status = open("/proc/self/status").read()
    print("VMHWM_KB=" + re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
atexit.register(peak)
sys.argv = ["objections", *sys.argv[1:]]
runpy.run_module("objections", run_name="__main__")
"""


def cli_rerun(calls: Path, out: Path, db: Path) -> dict[str, Any]:
    args = ["run", str(calls), "--out", str(out), "--db", str(db), "--config", str(CONFIG),
            "--assets", str(ASSETS), "--json"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    summary: dict[str, Any] = {}
    with contextlib.suppress(json.JSONDecodeError):
        summary = json.loads(done.stdout)
    rss = re.findall(r"VMHWM_KB=(\d+)", done.stderr)
    return {"seconds": round(seconds, 2), "exit_code": done.returncode,
            "peak_rss_mb": round(int(rss[-1]) / 1024, 1) if rss else None,
            "transcribed": summary.get("transcribed"), "calls": summary.get("calls"),
            "stderr_tail": done.stderr[-500:]}  # fmt: skip


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "packages": versions, "load_average": list(os.getloadavg())}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--profile", choices=["first", "rerun"], help="cProfile that step")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--no-cli", action="store_true", help="skip the rerun in a new process")
    args = parser.parse_args(argv)

    from objections.config import load_config
    from objections.detect import cache_dir

    work = args.keep or Path(tempfile.mkdtemp(prefix="objections-throughput-"))
    work.mkdir(parents=True, exist_ok=True)
    calls, db = work / "calls", work / "store.db"
    for stale in (calls, work / "out", work / "out-rerun", work / "out-cli"):
        shutil.rmtree(stale, ignore_errors=True)
    db.unlink(missing_ok=True)
    report: dict[str, Any] = {"machine": machine(), "work": str(work)}
    report["detector_cached"] = any(cache_dir().glob("detector-*.npz"))
    started = time.perf_counter()
    reps = load_config(CONFIG).company.reps
    report["generated"] = make_calls(args.calls, args.seed, calls, reps)
    report["generate_seconds"] = round(time.perf_counter() - started, 2)

    phases = Phases()
    profile_text = ""
    if args.profile == "first":
        (result, seconds), profile_text = profiled(
            lambda: pipeline_run(calls, work / "out", db, phases)
        )
    else:
        result, seconds = pipeline_run(calls, work / "out", db, phases)
    report["first"] = {
        "seconds": round(seconds, 2),
        "calls_per_minute": round(result.calls / seconds * 60, 1),
        "calls": result.calls, "objections": result.objections, "themes": result.themes,
        "failed": len(result.failed),
        "phases": {k: round(v, 2) for k, v in phases.seconds.items()},
        "texts_embedded": phases.texts_embedded,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }  # fmt: skip
    if args.calls != 1000:
        report["first"]["extrapolated_1000_seconds"] = round(seconds * 1000 / args.calls, 1)

    rerun_phases = Phases()
    if args.profile == "rerun":
        (rerun, seconds), profile_text = profiled(
            lambda: pipeline_run(calls, work / "out-rerun", db, rerun_phases)
        )
    else:
        rerun, seconds = pipeline_run(calls, work / "out-rerun", db, rerun_phases)
    report["rerun"] = {
        "seconds": round(seconds, 2), "calls": rerun.calls, "transcribed": rerun.transcribed,
        "phases": {k: round(v, 2) for k, v in rerun_phases.seconds.items()},
        "texts_embedded": rerun_phases.texts_embedded,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }  # fmt: skip
    if not args.no_cli:
        report["rerun_cli"] = cli_rerun(calls, work / "out-cli", db)
    report["machine"]["load_average_after"] = list(os.getloadavg())
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report, args.calls)
    if profile_text:
        print(f"\n--- cProfile of the {args.profile} run ---\n{profile_text}")
    return 0


def print_report(report: dict[str, Any], n: int) -> None:
    m = report["machine"]
    print(f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}")
    print("packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()))
    before = " ".join(f"{x:.2f}" for x in m["load_average"])
    after = " ".join(f"{x:.2f}" for x in m["load_average_after"])
    print(f"load average: {before} before, {after} after")
    g = report["generated"]
    print(f"generated {g['calls']} calls, {g['turns']} turns, {g['buyer_sentences']} buyer "
          f"sentences ({g['objection_sentences']} from objection lines) in "
          f"{report['generate_seconds']} s; detector models cached before: "
          f"{report['detector_cached']}")  # fmt: skip
    first = report["first"]
    print(f"\nfirst run: {first['seconds']:.1f} s ({first['calls_per_minute']:.0f} calls/min), "
          f"{first['calls']} calls, {first['objections']} objections, {first['themes']} themes, "
          f"{first['failed']} failed; peak RSS {first['peak_rss_mb']:.0f} MB")  # fmt: skip
    if "extrapolated_1000_seconds" in first:
        print(f"  extrapolated to 1,000 calls (linear): {first['extrapolated_1000_seconds']} s")
    for name, seconds in first["phases"].items():
        print(f"  {name:<40} {seconds:8.2f} s")
    print(f"  texts embedded: {first['texts_embedded']}")
    rerun = report["rerun"]
    print(
        f"\nrerun, nothing new (same process): {rerun['seconds']:.1f} s, "
        f"{rerun['texts_embedded']} texts embedded; peak RSS {rerun['peak_rss_mb']:.0f} MB"
    )
    for name, seconds in rerun["phases"].items():
        print(f"  {name:<40} {seconds:8.2f} s")
    if "rerun_cli" in report:
        c = report["rerun_cli"]
        print(f"\nrerun as `python -m objections run` (new process): {c['seconds']:.1f} s, "
              f"exit {c['exit_code']}, peak RSS {c['peak_rss_mb']:.0f} MB")  # fmt: skip
        if c["exit_code"] not in (0, 1):
            print(c["stderr_tail"])
    print(
        f"\ntargets for 1,000 calls: first run < 300 s, rerun < 10 s, peak RSS < 2048 MB ({n} "
        "calls measured)"
    )


if __name__ == "__main__":
    sys.exit(main())
