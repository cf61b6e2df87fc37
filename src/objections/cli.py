"""The command line: parse options, call the library, format what it returns. Nothing else."""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from objections import __version__, report
from objections.briefs import inside, template_errors
from objections.config import find_beside, find_config, load_config
from objections.errors import EXIT_OK, EXIT_SOME_FAILED, ObjectionsError
from objections.executor import EXECUTORS, ExecutorSpec
from objections.forget import forget
from objections.pipeline import Pipeline, Progress, RunOptions, pending_transcription
from objections.rank import rerank
from objections.store import Store
from objections.transcribe import WhisperTranscriber

DEFAULT_DB = ".objections/objections.db"
EXIT_INTERNAL = 5


class BarProgress(Progress):
    """Progress bars on stderr, only when it is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def start(self, label: str, total: int) -> None:
        if self.enabled and total > 1:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def parse_when(value: str | None) -> date | None:
    """A date (YYYY-MM-DD) or a span back from today: 7d, 2w."""
    if not value:
        return None
    span = re.fullmatch(r"(\d+)([dw])", value.strip())
    if span:
        days = int(span.group(1)) * (7 if span.group(2) == "w" else 1)
        return date.today() - timedelta(days=days)
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"{value!r} is not a date (YYYY-MM-DD) or a span (7d, 2w)"
        raise click.BadParameter(message) from None


def _err(message: str) -> None:
    click.echo(message, err=True)


def _out_option(help: str) -> Any:
    return click.option(
        "--out",
        type=click.Path(path_type=Path),
        default="objections-out",
        show_default=True,
        envvar="OBJECTIONS_OUT",
        help=help,
    )


def _config_option(help: str) -> Any:
    return click.option("--config", "config_path", type=click.Path(path_type=Path), help=help)


def _db_option(f: Any) -> Any:
    return click.option(
        "--db",
        type=click.Path(path_type=Path),
        envvar="OBJECTIONS_DB",
        default=DEFAULT_DB,
        show_default=True,
        help="SQLite store (env OBJECTIONS_DB).",
    )(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="objections")
def cli() -> None:
    """Mine sales-call recordings for buyer objections; turn them into ranked themes, asset
    matches and content briefs. Offline."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_out_option("Output folder (env OBJECTIONS_OUT).")
@_config_option("objections.toml (default: in the input folder, else here).")
@click.option(
    "--assets",
    type=click.Path(path_type=Path),
    help="Markdown/HTML/PDF folder or CSV of assets (default: assets/ beside the config).",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path),
    help="Call manifest CSV (default: manifest.csv in the input folder).",
)
@click.option("--since", help="Start of the period: YYYY-MM-DD or a span such as 7d.")
@click.option("--until", help="End of the period: YYYY-MM-DD or a span.")
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Folder of templates overriding the shipped ones.",
)
@click.option("--force", is_flag=True, help="Overwrite briefs a writer has edited.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    envvar="OBJECTIONS_WORKERS",
    help="Transcribe N calls at once, in N processes (env OBJECTIONS_WORKERS; default 1; "
    "with --executor ray, actors, default one per CPU of the cluster).",
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    envvar="OBJECTIONS_EXECUTOR",
    help="Where to transcribe: this machine, or a Ray cluster (env OBJECTIONS_EXECUTOR).",
)
@click.option(
    "--ray-address",
    envvar="OBJECTIONS_RAY_ADDRESS",
    help="Ray cluster to use with --executor ray (default: start one here for the run; "
    "env OBJECTIONS_RAY_ADDRESS).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or messages.")
@_db_option
def run(
    inputs: tuple[Path, ...],
    out: Path,
    config_path: Path | None,
    assets: Path | None,
    manifest: Path | None,
    since: str | None,
    until: str | None,
    templates: Path | None,
    force: bool,
    workers: int | None,
    executor: str,
    ray_address: str | None,
    as_json: bool,
    quiet: bool,
    db: Path,
) -> None:
    """Process call recordings and transcripts (files or folders) into themes, briefs and a
    report."""
    paths = list(inputs)
    config_file = find_config(paths, config_path)
    config = load_config(config_file)
    options = RunOptions(
        inputs=paths,
        out=out,
        config=config,
        manifest=manifest or _existing(find_beside(paths, None, "manifest.csv")),
        assets=assets or find_beside(paths, config_file, "assets"),
        since=parse_when(since),
        until=parse_when(until),
        templates=templates,
        force=force,
        executor=ExecutorSpec(executor, workers, ray_address),
    )
    options.executor.check()  # before the store is touched: nothing is processed
    log = (lambda message: None) if quiet else _err
    if not quiet and config_file:
        _err(f"config: {config_file}")
    store = Store(db)
    store.lock()
    try:
        progress = BarProgress(enabled=not quiet and sys.stderr.isatty())
        result = Pipeline(config, store, progress=progress, log=log).run(options)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(result.summary(), indent=2))
    else:
        click.echo(report.format_table(result.doc))
        click.echo(
            f"\n{result.calls} calls ({result.transcribed} transcribed now, "
            f"{len(result.failed)} failed), {result.objections} objections, "
            f"{result.themes} themes, {result.gaps} gaps, {result.briefs} briefs written"
        )
        click.echo(f"report: {result.report}")
    if result.forgotten and not quiet:
        _err(f"{len(result.forgotten)} forgotten call(s) skipped: {', '.join(result.forgotten)}")
    if result.failed:
        _err(f"{len(result.failed)} input(s) failed:")
        for file, reason in result.failed:
            _err(f"  {file}: {reason}")
        sys.exit(EXIT_INTERNAL if result.internal_errors else EXIT_SOME_FAILED)


def _existing(path: Path | None) -> Path | None:
    return path if path and path.is_file() else None


@cli.command("report")
@_out_option("Where report.html goes (env OBJECTIONS_OUT).")
@click.option("--top", type=int, help="Show only the top N themes.")
@click.option("--since", help="Count and rank for a period: YYYY-MM-DD or a span such as 7d.")
@click.option("--until", help="End of the period: YYYY-MM-DD or a span.")
@_config_option("objections.toml whose [rank] weights to use.")
@click.option("--json", "as_json", is_flag=True, help="Print themes as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print themes as CSV.")
@click.option("--templates", type=click.Path(path_type=Path, file_okay=False, exists=True))
@_db_option
def report_command(
    out: Path,
    top: int | None,
    since: str | None,
    until: str | None,
    config_path: Path | None,
    as_json: bool,
    as_csv: bool,
    templates: Path | None,
    db: Path,
) -> None:
    """Show the last run's ranked themes from the store, without recomputing anything
    (--since/--until count and rank its themes again for that period)."""
    last = _last_run(db)
    doc = dict(last["doc"])
    if since or until:
        weights = load_config(find_config([], config_path)).rank
        ledger = last["sources"].get("ledger")
        if ledger is None:
            raise ObjectionsError("the last run predates --since for reports; run it again")
        doc = rerank(doc, ledger, parse_when(since), parse_when(until), weights)
    if top is not None:
        doc = {**doc, "themes": doc["themes"][:top]}
    if as_json:
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    elif as_csv:
        report.write_csv(doc, sys.stdout)
    else:
        click.echo(report.format_table(doc, top=top))
    with template_errors():
        path = report.write_html(doc, out / "report.html", [templates] if templates else [])
    _err(f"report: {path}")


@cli.command()
@_out_option("Where the briefs folder is (env OBJECTIONS_OUT).")
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Folder of templates overriding the shipped ones.",
)
@click.option("--force", is_flag=True, help="Overwrite briefs a writer has edited.")
@_db_option
def briefs(out: Path, templates: Path | None, force: bool, db: Path) -> None:
    """Regenerate the last run's briefs from the store (for instance with new templates)."""
    from objections.briefs import environment, render, write_brief

    last = _last_run(db)
    env = environment([templates] if templates else [])
    for entry in last["briefs"]:
        path = inside(out / entry["path"], out / "briefs")
        with template_errors():
            text = render(entry["context"], env)
        click.echo(str(write_brief(path, text, force)))


@cli.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@_config_option("objections.toml (its [transcribe] model decides what counts as done).")
@_db_option
@click.option("--json", "as_json", is_flag=True)
def status(inputs: tuple[Path, ...], config_path: Path | None, db: Path, as_json: bool) -> None:
    """What the store holds, and what a run would still have to transcribe: audio among INPUTS
    (or, without inputs, audio calls in the store) with no transcript from the configured model."""
    if not Path(db).exists():
        raise ObjectionsError(f"{db}: no store yet; run `objections run` first")
    config = load_config(find_config(list(inputs), config_path))
    model_id = WhisperTranscriber(config.transcribe, config.company.vocabulary).id
    store = Store(db)
    try:
        counts = store.counts()
        last = store.last_run()
        pending = pending_transcription(store, model_id, list(inputs))
    finally:
        store.close()
    info = {"db": str(db), **counts, "last_run": last["finished_at"] if last else None,
            "pending_transcription": len(pending)}  # fmt: skip
    if as_json:
        click.echo(json.dumps({**info, "pending": pending}, indent=2))
    else:
        for key, value in info.items():
            click.echo(f"{key:22} {value}")
        for item in pending:
            click.echo(f"  pending: {item}")


@cli.command("forget")
@click.argument("call_id")
@_db_option
def forget_command(call_id: str, db: Path) -> None:
    """Remove a call and everything derived from it from the store: transcripts, embeddings,
    and its quotes in stored runs. Later runs skip the file. Files already written to an output
    folder are not touched: rerun `objections report` and `objections briefs` there."""
    if not Path(db).exists():
        raise ObjectionsError(f"{db}: no store yet; nothing to forget")
    store = Store(db)
    store.lock()
    try:
        removed = forget(store, call_id)
        last = store.last_run()
    finally:
        store.close()
    click.echo(
        f"forgot {call_id}: removed {removed['calls']} call record(s), "
        f"{removed['transcripts']} transcript(s), {removed['embeddings']} embedding(s); "
        f"purged {removed['quotes']} quoted sentence(s) from {removed['runs']} stored run(s)"
    )
    out = last["summary"].get("out") if last else None
    if out and Path(out).exists():
        _err(
            f"note: {out} was written before; regenerate it (objections report --out {out}; "
            f"objections briefs --out {out}) or delete it"
        )


@cli.command("eval")
@click.argument("sets", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default="objections-eval",
    show_default=True,
    help="Where each set's run output and eval.json go.",
)
@_config_option("Settings to evaluate (the set's company.json fills [company]).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@_db_option
def eval_command(
    sets: tuple[Path, ...], out: Path, config_path: Path | None, as_json: bool, db: Path
) -> None:
    """Measure detection, themes, assets and trends on labelled sets (devset format)."""
    from objections.evaluate import evaluate, format_scores, load_gold

    results = []
    store = Store(db)
    try:
        for root in sets:
            config = load_config(config_path)
            config.company = load_gold(root).company
            pipeline = Pipeline(config, store, log=_err)
            target = out / (root.name or "set")
            scores = evaluate(root, target, pipeline, config)
            (target / "eval.json").write_text(json.dumps(scores, indent=2) + "\n")
            results.append(scores)
            if not as_json:
                click.echo(format_scores(scores))
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(results, indent=2))


def _last_run(db: Path) -> dict[str, Any]:
    """The store's newest finished run: doc, briefs, sources."""
    if not Path(db).exists():
        raise ObjectionsError(f"{db}: no store yet; run `objections run` first")
    store = Store(db)
    try:
        last = store.last_run()
    finally:
        store.close()
    if last is None:
        raise ObjectionsError(f"{db}: no finished run in the store; run `objections run` first")
    return last


def main() -> None:
    """Entry point: expected failures are one line and an exit code, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        _err("aborted")
        sys.exit(130)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "objections"
        _err(f"error: {exc.format_message()} (see {command} --help)")
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ObjectionsError as exc:
        _err(f"error: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _err("interrupted; finished calls are kept in the store")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, traceback on request
        if os.environ.get("OBJECTIONS_DEBUG"):
            traceback.print_exc()
        _err(f"error: internal error: {type(exc).__name__}: {exc} (OBJECTIONS_DEBUG=1 for details)")
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
