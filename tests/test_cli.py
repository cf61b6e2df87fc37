"""The CLI: exit codes, one-line errors, JSON summaries, commands that read the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import PRICE, SECURITY, CountingEmbedder, write_transcript_call

from objections import cli as cli_module
from objections.cli import cli, main
from objections.detect import KeywordDetector
from objections.pipeline import Components, Pipeline


@pytest.fixture(autouse=True)
def fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its pipeline with fakes here; the real models run in test_real.py."""

    def build(config, store, progress=None, log=lambda m: None):  # type: ignore[no-untyped-def]
        parts = Components(embedder=CountingEmbedder(), detector=KeywordDetector())
        return Pipeline(config, store, parts, progress, log)

    monkeypatch.setattr(cli_module, "Pipeline", build)


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    folder = tmp_path / "calls"
    folder.mkdir()
    write_transcript_call(folder / "A-1.json", "A-1", "2026-11-02", [PRICE[0], SECURITY[0]])
    write_transcript_call(folder / "A-2.json", "A-2", "2026-11-10", [PRICE[1], SECURITY[1]])
    write_transcript_call(folder / "A-3.json", "A-3", "2026-11-12", [PRICE[2]])
    (folder / "objections.toml").write_text('[company]\nname = "Acme"\nreps = ["Sam Seller"]\n')
    return folder


def invoke(args: list[str], tmp_path: Path):
    runner = CliRunner()
    return runner.invoke(cli, [*args], env={"OBJECTIONS_DB": str(tmp_path / "s.db")})


def test_run_prints_table_and_summary(calls: Path, tmp_path: Path) -> None:
    result = invoke(["run", str(calls), "--out", str(tmp_path / "out"), "-q"], tmp_path)
    assert result.exit_code == 0, result.output
    assert "objections" in result.output and "report:" in result.output
    assert "Price" in result.output


def test_run_json_summary(calls: Path, tmp_path: Path) -> None:
    result = invoke(["run", str(calls), "--out", str(tmp_path / "o"), "--json", "-q"], tmp_path)
    summary = json.loads(result.stdout)
    assert summary["calls"] == 3 and summary["failed"] == []
    assert summary["themes"] >= 1


def test_a_failed_input_exits_1_and_names_the_file(calls: Path, tmp_path: Path) -> None:
    (calls / "bad.srt").write_text("this is not a subtitle file")
    result = invoke(["run", str(calls), "--out", str(tmp_path / "o"), "-q"], tmp_path)
    assert result.exit_code == 1
    assert "bad.srt" in result.stderr and "no cues" in result.stderr
    assert (tmp_path / "o" / "themes.json").is_file(), "the good calls still produce output"


def test_since_filters_the_period(calls: Path, tmp_path: Path) -> None:
    args = ["run", str(calls), "--out", str(tmp_path / "o"), "--since", "2026-11-09", "--json"]
    invoke([*args, "-q"], tmp_path)
    doc = json.loads((tmp_path / "o" / "themes.json").read_text())
    assert doc["period"]["since"] == "2026-11-09"
    assert doc["calls"] == 2


def test_report_reads_the_store_without_recomputing(calls: Path, tmp_path: Path) -> None:
    invoke(["run", str(calls), "--out", str(tmp_path / "o"), "-q"], tmp_path)
    table = invoke(["report", "--out", str(tmp_path / "r")], tmp_path)
    assert table.exit_code == 0 and "Price" in table.stdout
    as_json = json.loads(
        invoke(["report", "--json", "--out", str(tmp_path / "r")], tmp_path).stdout
    )
    assert as_json["themes"][0]["rank"] == 1
    assert (tmp_path / "r" / "report.html").is_file()
    status = json.loads(invoke(["status", "--json"], tmp_path).stdout)
    assert status["calls"] == 3 and status["runs"] == 1


def test_briefs_regenerate_with_user_templates(calls: Path, tmp_path: Path) -> None:
    invoke(["run", str(calls), "--out", str(tmp_path / "o"), "-q"], tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "faq.md.j2").write_text("---\ngenerated_hash: pending\n---\nMY FAQ {{ theme.id }}\n")
    result = invoke(["briefs", "--out", str(tmp_path / "o"), "--templates", str(mine)], tmp_path)
    assert result.exit_code == 0, result.output
    written = [Path(p) for p in result.stdout.split()]
    faq = [p for p in written if "MY FAQ" in p.read_text()]
    assert faq, "the user's faq template replaced the shipped one"


def test_edited_brief_is_kept(calls: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    invoke(["run", str(calls), "--out", str(out), "-q"], tmp_path)
    brief = sorted((out / "briefs").glob("*.md"))[0]
    brief.write_text(brief.read_text() + "\nMy own notes.\n")
    invoke(["run", str(calls), "--out", str(out), "-q"], tmp_path)
    assert "My own notes." in brief.read_text()
    assert brief.with_suffix(".new.md").is_file()
    invoke(["run", str(calls), "--out", str(out), "-q", "--force"], tmp_path)
    assert "My own notes." not in brief.read_text()


def test_briefs_of_themes_no_longer_briefed_go_unless_edited(calls: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    invoke(["run", str(calls), "--out", str(out), "-q"], tmp_path)
    current = sorted((out / "briefs").glob("*.md"))
    stale = out / "briefs" / current[0].name.replace(current[0].name[:8], "t-0ld000")
    stale.write_text(current[0].read_text())  # as this tool wrote it, for a theme now gone
    edited = out / "briefs" / "t-0ld111-my-notes.md"
    edited.write_text(current[0].read_text() + "\nMy own notes.\n")
    result = invoke(["run", str(calls), "--out", str(out)], tmp_path)
    assert not stale.exists()
    assert edited.is_file() and "My own notes." in edited.read_text()
    assert f"kept {edited}" in result.stderr
    assert sorted((out / "briefs").glob("*.md")) == sorted([*current, edited])


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["run", "{empty}"], 3, "no audio or transcript files"),
        (["run", "{calls}", "--config", "{missing}"], 2, "config file not found"),
        (["run", "{calls}", "--since", "last tuesday"], 2, "not a date"),
        (["report"], 2, "no store yet"),
    ],
)
def test_expected_failures_are_one_line_and_an_exit_code(
    args: list[str], code: int, message: str, calls: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    (tmp_path / "empty").mkdir()
    paths = {"empty": tmp_path / "empty", "calls": calls, "missing": tmp_path / "nope.toml"}
    argv = [a.format(**paths) for a in args]
    monkeypatch.setenv("OBJECTIONS_DB", str(tmp_path / "fresh" / "s.db"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        "sys.argv", ["objections", *argv, "-q"] if args[0] == "run" else ["objections", *argv]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == code
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3


def test_a_relabelled_theme_keeps_its_brief_file(calls: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    invoke(["run", str(calls), "--out", str(out), "-q"], tmp_path)
    first = sorted((out / "briefs").glob("*.md"))
    theme_id = first[0].name.split("-")[0] + "-" + first[0].name.split("-")[1]
    renamed = first[0].with_name(f"{theme_id}-an-older-label.md")
    first[0].rename(renamed)
    invoke(["run", str(calls), "--out", str(out), "-q"], tmp_path)
    again = sorted((out / "briefs").glob(f"{theme_id}-*.md"))
    assert again == [renamed], "the theme's existing brief file is reused, not duplicated"


def test_report_since_recounts_the_stored_run_for_the_period(calls: Path, tmp_path: Path) -> None:
    invoke(["run", str(calls), "--out", str(tmp_path / "o"), "-q"], tmp_path)
    whole = json.loads(invoke(["report", "--json", "--out", str(tmp_path / "r")], tmp_path).stdout)
    args = ["report", "--json", "--since", "2026-11-09", "--until", "2026-11-15"]
    args += ["--out", str(tmp_path / "r")]
    recent = json.loads(invoke(args, tmp_path).stdout)
    assert recent["period"]["since"] == "2026-11-09"
    assert whole["calls"] == 3 and recent["calls"] == 2
    assert recent["objections"] < whole["objections"]
    assert all(q["call_id"] != "A-1" for t in recent["themes"] for q in t["quotes"])
    assert [t["rank"] for t in recent["themes"]] == list(range(1, len(recent["themes"]) + 1))
    price = next(t for t in recent["themes"] if t["category"] == "price")
    # The week before (11-02..11-08) holds A-1: it counts for the trend only.
    assert price["previous_mentions"] == 1 and price["mentions"] == 2


def test_a_second_run_on_a_locked_store_exits_4(
    calls: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from objections.store import Store

    holder = Store(tmp_path / "locked.db")
    holder.lock()
    try:
        monkeypatch.setenv("OBJECTIONS_DB", str(tmp_path / "locked.db"))
        monkeypatch.setattr("sys.argv", ["objections", "run", str(calls), "-q"])
        with pytest.raises(SystemExit) as exit_info:
            main()
    finally:
        holder.close()
    assert exit_info.value.code == 4
    assert "another objections run is using this store" in capsys.readouterr().err


def test_status_lists_audio_not_yet_transcribed(tmp_path: Path) -> None:
    from fakes import write_audio_stub

    folder = tmp_path / "audio"
    folder.mkdir()
    write_audio_stub(folder / "new-call.wav")
    from objections.store import Store

    Store(tmp_path / "s.db").close()
    result = invoke(["status", str(folder), "--json"], tmp_path)
    info = json.loads(result.stdout)
    assert info["pending_transcription"] == 1 and info["pending"][0].endswith("new-call.wav")
