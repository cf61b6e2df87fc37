"""Store: the one place that speaks SQL.

SQLite, numbered migrations applied on open, every expensive result keyed by the hash of its input
and the id of the stage that made it (model and options), so a rerun does only what is new.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from objections.errors import ConfigError, StoreLocked
from objections.models import Call, Turn
from objections.themes import PreviousTheme

MIGRATIONS: list[str] = [
    """
    CREATE TABLE calls (
        sha256 TEXT PRIMARY KEY, call_id TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
        date TEXT, account TEXT, stage TEXT, outcome TEXT, added_at TEXT NOT NULL
    );
    CREATE INDEX calls_by_id ON calls(call_id);
    CREATE TABLE transcripts (
        sha256 TEXT NOT NULL, transcriber TEXT NOT NULL, turns TEXT NOT NULL,
        created_at TEXT NOT NULL, PRIMARY KEY (sha256, transcriber)
    );
    CREATE TABLE embeddings (
        text_sha TEXT NOT NULL, embedder TEXT NOT NULL, vector BLOB NOT NULL,
        PRIMARY KEY (text_sha, embedder)
    );
    CREATE TABLE themes (
        id TEXT PRIMARY KEY, category TEXT NOT NULL, label TEXT NOT NULL,
        centroid BLOB NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT,
        summary TEXT, doc TEXT, briefs TEXT
    );
    """,
    # 2: what `objections forget` needs to find everything derived from a call: which stored
    # texts each call produced, which calls and quoted texts each run published, and the calls
    # forgotten (by hash only), so a later run over the same folder skips them. Transcripts keep
    # the decoder's statistics, so the language check holds for cached transcripts too.
    """
    ALTER TABLE transcripts ADD COLUMN stats TEXT;
    ALTER TABLE runs ADD COLUMN sources TEXT;
    CREATE TABLE call_texts (
        sha256 TEXT NOT NULL, text_sha TEXT NOT NULL, PRIMARY KEY (sha256, text_sha)
    );
    CREATE INDEX call_texts_by_text ON call_texts(text_sha);
    CREATE TABLE forgotten (sha256 TEXT PRIMARY KEY, forgotten_at TEXT NOT NULL);
    """,
]


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"{self.path}: cannot create the store ({exc.strerror})"
                ) from None
        try:
            self.db = sqlite3.connect(str(path), timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path}: not a usable SQLite store ({exc})") from None
        self.db.execute("PRAGMA foreign_keys=ON")
        self._lock_file: IO[str] | None = None
        self.migrate()

    def migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits first; the script itself is one transaction.
            self.db.executescript(f"BEGIN;{script};PRAGMA user_version={number};COMMIT;")

    def close(self) -> None:
        self.unlock()
        self.db.close()

    # --- locking: one run at a time per store -----------------------------------------------

    def lock(self) -> None:
        if str(self.path) == ":memory:":
            return
        handle = open(f"{self.path}.lock", "w")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StoreLocked(f"{self.path}: another objections run is using this store") from None
        self._lock_file = handle

    def unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.db:
            yield self.db

    # --- calls and transcripts --------------------------------------------------------------

    def save_call(self, call: Call) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO calls (sha256, call_id, source, kind, date, account, stage, outcome,"
                " added_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(sha256) DO UPDATE SET"
                " call_id=excluded.call_id, source=excluded.source, date=excluded.date,"
                " account=excluded.account, stage=excluded.stage, outcome=excluded.outcome",
                (call.sha256, call.call_id, call.source, call.kind, call.date, call.account,
                 call.stage, call.outcome, _now()),
            )  # fmt: skip

    def transcript(self, sha256: str, transcriber: str) -> list[Turn] | None:
        row = self.db.execute(
            "SELECT turns FROM transcripts WHERE sha256=? AND transcriber=?", (sha256, transcriber)
        ).fetchone()
        return [Turn(**t) for t in json.loads(row[0])] if row else None

    def transcript_stats(self, sha256: str, transcriber: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT stats FROM transcripts WHERE sha256=? AND transcriber=?", (sha256, transcriber)
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def save_transcript(
        self,
        sha256: str,
        transcriber: str,
        turns: list[Turn],
        stats: dict[str, Any] | None = None,
    ) -> None:
        payload = json.dumps([asdict(t) for t in turns])
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO transcripts (sha256, transcriber, turns, created_at, stats)"
                " VALUES (?,?,?,?,?)",
                (sha256, transcriber, payload, _now(), json.dumps(stats) if stats else None),
            )

    def calls_by_id(self, call_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT sha256, call_id, source, kind FROM calls WHERE call_id=? ORDER BY sha256",
            (call_id,),
        )
        return [dict(zip(("sha256", "call_id", "source", "kind"), r, strict=True)) for r in rows]

    def transcripts_of(self, sha256: str) -> list[list[Turn]]:
        rows = self.db.execute("SELECT turns FROM transcripts WHERE sha256=?", (sha256,))
        return [[Turn(**t) for t in json.loads(r[0])] for r in rows]

    def is_forgotten(self, sha256: str) -> bool:
        row = self.db.execute("SELECT 1 FROM forgotten WHERE sha256=?", (sha256,)).fetchone()
        return row is not None

    def counts(self) -> dict[str, int]:
        tables = ("calls", "transcripts", "embeddings", "themes", "runs", "forgotten")
        return {t: self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}

    def audio_without_transcript(self, transcriber: str) -> list[str]:
        rows = self.db.execute(
            "SELECT call_id FROM calls WHERE kind='audio' AND sha256 NOT IN"
            " (SELECT sha256 FROM transcripts WHERE transcriber=?) ORDER BY call_id",
            (transcriber,),
        )
        return [r[0] for r in rows]

    # --- embeddings -------------------------------------------------------------------------

    def embeddings(self, keys: list[str], embedder: str) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT text_sha, vector FROM embeddings"
                f" WHERE embedder=? AND text_sha IN ({marks})",
                (embedder, *chunk),
            )
            found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        return found

    def save_embeddings(self, vectors: dict[str, np.ndarray], embedder: str) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?,?,?)",
                [(k, embedder, v.astype(np.float32).tobytes()) for k, v in vectors.items()],
            )

    def link_texts(self, pairs: set[tuple[str, str]]) -> None:
        """Record which call (sha256) each stored text (text_sha) came from."""
        with self.db:
            self.db.executemany("INSERT OR IGNORE INTO call_texts VALUES (?,?)", sorted(pairs))

    def linked_texts(self, sha256: str) -> set[str]:
        rows = self.db.execute("SELECT text_sha FROM call_texts WHERE sha256=?", (sha256,))
        return {r[0] for r in rows}

    # --- themes and runs --------------------------------------------------------------------

    def known_themes(self) -> list[PreviousTheme]:
        rows = self.db.execute("SELECT id, category, centroid FROM themes ORDER BY id")
        return [PreviousTheme(i, c, np.frombuffer(v, dtype=np.float32)) for i, c, v in rows]

    def save_themes(self, themes: list[tuple[str, str, str, np.ndarray]]) -> None:
        now = _now()
        with self.db:
            self.db.executemany(
                "INSERT INTO themes VALUES (?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
                " label=excluded.label, centroid=excluded.centroid, last_seen=excluded.last_seen",
                [(i, c, label, v.astype(np.float32).tobytes(), now, now)
                 for i, c, label, v in themes],
            )  # fmt: skip

    def start_run(self) -> int:
        with self.db:
            cursor = self.db.execute("INSERT INTO runs (started_at) VALUES (?)", (_now(),))
        return int(cursor.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        summary: dict[str, Any],
        doc: Any,
        briefs: Any,
        sources: dict[str, Any] | None = None,
    ) -> None:
        with self.db:
            self.db.execute(
                "UPDATE runs SET finished_at=?, summary=?, doc=?, briefs=?, sources=? WHERE id=?",
                (_now(), json.dumps(summary), json.dumps(doc), json.dumps(briefs),
                 json.dumps(sources or {}), run_id),
            )  # fmt: skip

    def last_run(self) -> dict[str, Any] | None:
        runs = self.finished_runs(last=True)
        return runs[0] if runs else None

    def finished_runs(self, last: bool = False) -> list[dict[str, Any]]:
        """Finished runs, newest first: id, finished_at, summary, doc, briefs, sources."""
        rows = self.db.execute(
            "SELECT id, finished_at, summary, doc, briefs, sources FROM runs"
            " WHERE finished_at IS NOT NULL ORDER BY id DESC" + (" LIMIT 1" if last else "")
        )
        return [
            {"id": r[0], "finished_at": r[1], "summary": json.loads(r[2]), "doc": json.loads(r[3]),
             "briefs": json.loads(r[4]), "sources": json.loads(r[5]) if r[5] else {}}
            for r in rows
        ]  # fmt: skip

    # --- forgetting a call ------------------------------------------------------------------

    def forget_call(
        self, sha256: str, texts: set[str], runs: list[dict[str, Any]]
    ) -> dict[str, int]:
        """Delete a call, its transcripts, the embeddings of `texts` no other call produced, and
        its links; rewrite `runs` (already purged by the caller); remember the hash. One
        transaction: a call is forgotten entirely or not at all."""
        with self.db:
            shared = set()
            for i in range(0, len(texts), 500):
                chunk = sorted(texts)[i : i + 500]
                marks = ",".join("?" * len(chunk))
                shared |= {r[0] for r in self.db.execute(
                    f"SELECT text_sha FROM call_texts WHERE sha256<>? AND text_sha IN ({marks})",
                    (sha256, *chunk),
                )}  # fmt: skip
            own = sorted(texts - shared)
            embeddings = self.db.executemany(
                "DELETE FROM embeddings WHERE text_sha=?", [(k,) for k in own]
            ).rowcount
            transcripts = self.db.execute(
                "DELETE FROM transcripts WHERE sha256=?", (sha256,)
            ).rowcount
            self.db.execute("DELETE FROM call_texts WHERE sha256=?", (sha256,))
            calls = self.db.execute("DELETE FROM calls WHERE sha256=?", (sha256,)).rowcount
            self.db.executemany(
                "UPDATE runs SET summary=?, doc=?, briefs=?, sources=? WHERE id=?",
                [(json.dumps(r["summary"]), json.dumps(r["doc"]), json.dumps(r["briefs"]),
                  json.dumps(r["sources"]), r["id"]) for r in runs],
            )  # fmt: skip
            self.db.execute("INSERT OR REPLACE INTO forgotten VALUES (?,?)", (sha256, _now()))
        return {"calls": calls, "transcripts": transcripts, "embeddings": embeddings}
