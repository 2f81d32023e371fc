"""The schema: numbered SQLite migrations, applied in order at start, one transaction each.

The applied number is kept in `PRAGMA user_version`, so reopening a database runs only
what is new. Append a migration to change the schema; never edit a shipped one.
"""

from __future__ import annotations

import sqlite3

import aiosqlite

MIGRATIONS: tuple[str, ...] = (
    # 1: members, the questions they ask, and their votes on answers.
    """
    CREATE TABLE users (
        id          INTEGER PRIMARY KEY,
        chat_id     INTEGER NOT NULL,
        language    TEXT    NOT NULL DEFAULT 'vi',
        first_seen  TEXT    NOT NULL,
        last_seen   TEXT    NOT NULL,
        blocked_at  TEXT
    );
    CREATE TABLE questions (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER,
        text        TEXT    NOT NULL,
        normalised  TEXT    NOT NULL,
        decision    TEXT    NOT NULL CHECK (decision IN ('answer', 'suggest', 'decline')),
        entry_id    TEXT,
        score       REAL    NOT NULL,
        kb_version  TEXT    NOT NULL,
        asked_at    TEXT    NOT NULL
    );
    CREATE INDEX questions_decision ON questions (decision, asked_at);
    CREATE TABLE feedback (
        user_id     INTEGER NOT NULL,
        entry_id    TEXT    NOT NULL,
        vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        voted_at    TEXT    NOT NULL,
        PRIMARY KEY (user_id, entry_id)
    );
    """,
    # 2: cooperative profiles, their members, and the append-only self-assessment log.
    """
    CREATE TABLE cooperatives (
        id          INTEGER PRIMARY KEY,
        name        TEXT    NOT NULL,
        province    TEXT    NOT NULL,
        sector      TEXT    NOT NULL,
        members     INTEGER NOT NULL CHECK (members > 0),
        invite_code TEXT    NOT NULL UNIQUE,
        created_by  INTEGER NOT NULL,
        created_at  TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL
    );
    ALTER TABLE users ADD COLUMN coop_id INTEGER REFERENCES cooperatives (id);
    CREATE TABLE assessments (
        id               INTEGER PRIMARY KEY,
        coop_id          INTEGER NOT NULL REFERENCES cooperatives (id),
        user_id          INTEGER NOT NULL,
        version          TEXT    NOT NULL,
        status           TEXT    NOT NULL CHECK (status IN ('open', 'done', 'abandoned')),
        current_question TEXT,
        started_at       TEXT    NOT NULL,
        finished_at      TEXT,
        overall          REAL,
        level            INTEGER,
        level_name       TEXT,
        pillar_scores    TEXT
    );
    CREATE UNIQUE INDEX assessments_one_open ON assessments (user_id) WHERE status = 'open';
    CREATE INDEX assessments_coop ON assessments (coop_id, status);
    CREATE TABLE answers (
        id            INTEGER PRIMARY KEY,
        assessment_id INTEGER NOT NULL REFERENCES assessments (id),
        coop_id       INTEGER NOT NULL,
        user_id       INTEGER NOT NULL,
        question_id   TEXT    NOT NULL,
        option        INTEGER NOT NULL,
        score         INTEGER NOT NULL,
        answered_at   TEXT    NOT NULL
    );
    CREATE INDEX answers_assessment ON answers (assessment_id, id);
    CREATE TRIGGER answers_no_update BEFORE UPDATE ON answers
        BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
    CREATE TRIGGER answers_no_delete BEFORE DELETE ON answers
        BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
    """,
    # 3: roles granted at run time, the audit log, subscriptions, durable broadcasts.
    """
    ALTER TABLE users ADD COLUMN username TEXT;
    ALTER TABLE users ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX users_username ON users (username COLLATE NOCASE);
    CREATE TABLE grants (
        user_id     INTEGER PRIMARY KEY,
        role        TEXT    NOT NULL CHECK (role IN ('officer', 'admin')),
        province    TEXT,
        granted_by  INTEGER NOT NULL,
        granted_at  TEXT    NOT NULL
    );
    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER,
        action      TEXT    NOT NULL,
        detail      TEXT    NOT NULL DEFAULT '',
        at          TEXT    NOT NULL
    );
    CREATE TABLE broadcasts (
        id          INTEGER PRIMARY KEY,
        author_id   INTEGER NOT NULL,
        author_chat INTEGER NOT NULL,
        text        TEXT    NOT NULL,
        html        TEXT    NOT NULL,
        audience    TEXT    NOT NULL,
        status      TEXT    NOT NULL CHECK (status IN ('scheduled', 'sending', 'done', 'cancelled')),
        created_at  TEXT    NOT NULL,
        send_at     TEXT    NOT NULL,
        finished_at TEXT,
        progress_message_id INTEGER
    );
    CREATE TABLE deliveries (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
        user_id      INTEGER NOT NULL,
        chat_id      INTEGER NOT NULL,
        status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN
                     ('pending', 'sending', 'sent', 'blocked', 'failed', 'unknown', 'cancelled')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        message_id   INTEGER,
        error        TEXT,
        updated_at   TEXT,
        PRIMARY KEY (broadcast_id, user_id)
    );
    CREATE INDEX deliveries_status ON deliveries (broadcast_id, status);
    CREATE TABLE flows (
        user_id     INTEGER PRIMARY KEY,
        kind        TEXT    NOT NULL,
        state       TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL
    );
    """,
    # 4: a question skipped in a flood is logged too (decision 'flood'); SQLite cannot change a
    # CHECK constraint in place, so the table is rebuilt with its rows and index.
    """
    CREATE TABLE questions_new (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER,
        text        TEXT    NOT NULL,
        normalised  TEXT    NOT NULL,
        decision    TEXT    NOT NULL CHECK (decision IN ('answer', 'suggest', 'decline', 'flood')),
        entry_id    TEXT,
        score       REAL    NOT NULL,
        kb_version  TEXT    NOT NULL,
        asked_at    TEXT    NOT NULL
    );
    INSERT INTO questions_new SELECT * FROM questions;
    DROP TABLE questions;
    ALTER TABLE questions_new RENAME TO questions;
    CREATE INDEX questions_decision ON questions (decision, asked_at);
    """,
    # 5: members' questions handed to the extension officers of their province ("Hỏi cán bộ").
    """
    CREATE TABLE handoffs (
        id           INTEGER PRIMARY KEY,
        user_id      INTEGER NOT NULL,
        chat_id      INTEGER NOT NULL,
        province     TEXT,
        question     TEXT    NOT NULL,
        status       TEXT    NOT NULL CHECK (status IN ('open', 'claimed', 'answered', 'out_of_scope')),
        claimed_by   INTEGER,
        answer       TEXT,
        asked_at     TEXT    NOT NULL,
        claimed_at   TEXT,
        answered_at  TEXT,
        rating       INTEGER,
        reminded_at  TEXT,
        escalated_at TEXT
    );
    CREATE INDEX handoffs_open ON handoffs (status, province, asked_at);
    CREATE INDEX handoffs_user ON handoffs (user_id, status);
    """,
    # 6: "Hỏi cán bộ", complete: whether a member lets officers see their name (asked once),
    # the name shown, who is answering (so other officers see it), the officer's answer as
    # typed and how it was signed (for draft knowledge entries), one follow-up and its answer,
    # the admins' "for the knowledge base" mark, a transfer's origin.
    """
    ALTER TABLE users ADD COLUMN share_name INTEGER;
    ALTER TABLE handoffs ADD COLUMN asker TEXT;
    ALTER TABLE handoffs ADD COLUMN answer_text TEXT;
    ALTER TABLE handoffs ADD COLUMN follow_up TEXT;
    ALTER TABLE handoffs ADD COLUMN follow_up_answer TEXT;
    ALTER TABLE handoffs ADD COLUMN for_kb INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE handoffs ADD COLUMN moved_from TEXT;
    ALTER TABLE handoffs ADD COLUMN claimer TEXT;
    ALTER TABLE handoffs ADD COLUMN signed TEXT;
    """,
    # 7: leases, so that with several bot instances on one database a background job (the
    # broadcast sender, the reminders) runs in exactly one of them, and another takes over
    # when that one dies.
    """
    CREATE TABLE leases (
        name        TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        expires_at  TEXT NOT NULL
    );
    """,
    # 8: knowledge edited from Telegram: every applied version's files (a zip), and the
    # previews waiting for an admin's "Áp dụng" (kept here so a restart does not lose them).
    """
    CREATE TABLE kb_versions (
        id           INTEGER PRIMARY KEY,
        content_hash TEXT    NOT NULL,
        author_id    INTEGER,
        origin       TEXT    NOT NULL,
        summary      TEXT    NOT NULL DEFAULT '{}',
        files        BLOB    NOT NULL,
        created_at   TEXT    NOT NULL
    );
    CREATE INDEX kb_versions_hash ON kb_versions (content_hash);
    CREATE TABLE kb_proposals (
        id           INTEGER PRIMARY KEY,
        user_id      INTEGER NOT NULL,
        base_hash    TEXT    NOT NULL,
        content_hash TEXT    NOT NULL,
        origin       TEXT    NOT NULL,
        summary      TEXT    NOT NULL DEFAULT '{}',
        files        BLOB,
        status       TEXT    NOT NULL CHECK (status IN ('pending', 'applied', 'cancelled', 'replaced')),
        created_at   TEXT    NOT NULL,
        decided_at   TEXT,
        version_id   INTEGER REFERENCES kb_versions (id)
    );
    CREATE INDEX kb_proposals_user ON kb_proposals (user_id, status);
    """,
    # 9: personal data (Law 91/2025/QH15): the consent history, and erasure that keeps the
    # assessment log append-only. An answer no longer names its author; who entered it is a
    # row of `answer_authors`, which /forget deletes while `erasures` (append-only too) notes
    # that it happened. Answers can only be deleted after a recorded erasure of their whole
    # cooperative. Assessments, profiles and votes can lose their person (nullable columns);
    # cooperative ids are never reused (AUTOINCREMENT), so an erasure record names one profile.
    """
    CREATE TABLE consents (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER NOT NULL,
        version     TEXT    NOT NULL,
        decision    TEXT    NOT NULL CHECK (decision IN ('granted', 'refused', 'withdrawn')),
        at          TEXT    NOT NULL
    );
    CREATE INDEX consents_user ON consents (user_id, id);
    CREATE VIEW withdrawn AS SELECT c.user_id FROM consents c WHERE c.decision != 'granted'
        AND c.id = (SELECT max(d.id) FROM consents d WHERE d.user_id = c.user_id);
    CREATE TABLE erasures (
        id               INTEGER PRIMARY KEY,
        at               TEXT    NOT NULL,
        coop_id          INTEGER,
        answers_unlinked INTEGER NOT NULL DEFAULT 0,
        coop_deleted     INTEGER NOT NULL DEFAULT 0 CHECK (coop_deleted IN (0, 1))
    );
    CREATE TRIGGER erasures_no_update BEFORE UPDATE ON erasures
        BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;
    CREATE TRIGGER erasures_no_delete BEFORE DELETE ON erasures
        BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;

    CREATE TABLE cooperatives_new (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT    NOT NULL,
        province    TEXT    NOT NULL,
        sector      TEXT    NOT NULL,
        members     INTEGER NOT NULL CHECK (members > 0),
        invite_code TEXT    NOT NULL UNIQUE,
        created_by  INTEGER,
        created_at  TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL
    );
    INSERT INTO cooperatives_new SELECT * FROM cooperatives;
    CREATE TABLE assessments_new (
        id               INTEGER PRIMARY KEY,
        coop_id          INTEGER NOT NULL REFERENCES cooperatives (id),
        user_id          INTEGER,
        version          TEXT    NOT NULL,
        status           TEXT    NOT NULL CHECK (status IN ('open', 'done', 'abandoned')),
        current_question TEXT,
        started_at       TEXT    NOT NULL,
        finished_at      TEXT,
        overall          REAL,
        level            INTEGER,
        level_name       TEXT,
        pillar_scores    TEXT
    );
    INSERT INTO assessments_new SELECT * FROM assessments;
    CREATE TABLE answers_new (
        id            INTEGER PRIMARY KEY,
        assessment_id INTEGER NOT NULL REFERENCES assessments (id),
        coop_id       INTEGER NOT NULL,
        question_id   TEXT    NOT NULL,
        option        INTEGER NOT NULL,
        score         INTEGER NOT NULL,
        answered_at   TEXT    NOT NULL
    );
    INSERT INTO answers_new SELECT id, assessment_id, coop_id, question_id, option, score, answered_at FROM answers;
    CREATE TABLE answer_authors (
        answer_id   INTEGER PRIMARY KEY REFERENCES answers (id),
        user_id     INTEGER NOT NULL
    );
    INSERT INTO answer_authors SELECT id, user_id FROM answers;
    CREATE INDEX answer_authors_user ON answer_authors (user_id);
    CREATE TRIGGER answer_authors_no_update BEFORE UPDATE ON answer_authors
        BEGIN SELECT RAISE(ABORT, 'who entered an answer is never changed, only erased'); END;
    CREATE TABLE feedback_new (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER,
        entry_id    TEXT    NOT NULL,
        vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        voted_at    TEXT    NOT NULL,
        UNIQUE (user_id, entry_id)
    );
    INSERT INTO feedback_new (user_id, entry_id, vote, voted_at)
        SELECT user_id, entry_id, vote, voted_at FROM feedback ORDER BY voted_at;
    DROP TABLE answers;
    DROP TABLE assessments;
    DROP TABLE cooperatives;
    DROP TABLE feedback;
    ALTER TABLE cooperatives_new RENAME TO cooperatives;
    ALTER TABLE assessments_new RENAME TO assessments;
    ALTER TABLE answers_new RENAME TO answers;
    ALTER TABLE feedback_new RENAME TO feedback;
    CREATE UNIQUE INDEX assessments_one_open ON assessments (user_id) WHERE status = 'open';
    CREATE INDEX assessments_coop ON assessments (coop_id, status);
    CREATE INDEX answers_assessment ON answers (assessment_id, id);
    CREATE TRIGGER answers_no_update BEFORE UPDATE ON answers
        BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
    CREATE TRIGGER answers_no_delete BEFORE DELETE ON answers
        WHEN NOT EXISTS (SELECT 1 FROM erasures e WHERE e.coop_id = OLD.coop_id AND e.coop_deleted = 1)
        BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
    """,
)


async def schema_version(connection: aiosqlite.Connection) -> int:
    """How many migrations this database has had."""
    async with connection.execute("PRAGMA user_version") as cursor:
        return (await cursor.fetchone())[0]


async def migrate(connection: aiosqlite.Connection) -> None:
    """Apply the migrations this database lacks; a failing one leaves no trace."""
    version = await schema_version(connection)
    if version >= len(MIGRATIONS):
        return
    # Rebuilding a table that others reference (SQLite's documented way: create, copy, drop,
    # rename) needs foreign keys off; they are checked before each migration commits.
    await connection.execute("PRAGMA foreign_keys = OFF")
    try:
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                await connection.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number};")
                async with connection.execute("PRAGMA foreign_key_check") as cursor:
                    broken = await cursor.fetchall()
                if broken:
                    raise sqlite3.IntegrityError(f"migration {number} breaks foreign keys: {broken[:3]}")
                await connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    await connection.execute("ROLLBACK")
                raise
    finally:
        await connection.execute("PRAGMA foreign_keys = ON")
