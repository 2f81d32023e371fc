"""`advisor` / `python -m advisor`: the command line for operators and curators.

Exit codes scripts can trust: 0 success, 1 a check failed (invalid knowledge, accuracy
below a floor), 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from advisor.answering import Advisor
from advisor.config import ConfigError, is_postgres_url, load_settings, redact
from advisor.decision import MODEL_PATH
from advisor.evaluation import LabelError, Report, evaluate, kb_test_questions, read_labelled
from advisor.exports import csv_text, for_people
from advisor.gaps import gap_rows
from advisor.handoff import draft_entries
from advisor.kb import KnowledgeBase, load_knowledge
from advisor.privacy import Purged, purge
from advisor.records import Handoff, StoreError
from advisor.storage import Store
from advisor.storage.db import open_database
from advisor.storage.migrations import summary
from advisor.storage.reports import EXPORTS
from advisor.views import decision_view

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a knowledge folder; print every problem as path:line: message."""
    folder = Path(args.dir) if args.dir else load_settings().knowledge_dir
    result = load_knowledge(folder)
    for problem in result.problems:
        print(problem, file=sys.stdout if problem.warning else sys.stderr)
    if result.kb is None:
        print(
            f"{len(result.errors)} error(s), {len(result.warnings)} warning(s) in {folder}", file=sys.stderr
        )
        return EXIT_FAILED
    kb = result.kb
    per_topic = Counter(entry.topic for entry in kb.entries.values())
    counts = ", ".join(f"{topic.id} {per_topic.get(topic.id, 0)}" for topic in kb.topics)
    warnings = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    print(
        f"ok: {len(kb.entries)} entries ({counts}), {len(kb.guides)} guide(s), "
        f"{len(kb.ui.texts)} interface texts, version {kb.version}{warnings}"
    )
    return EXIT_OK


def _load_kb(folder: str | None) -> KnowledgeBase | None:
    """Load the knowledge base for a command, printing problems if it is not valid."""
    path = Path(folder) if folder else load_settings().knowledge_dir
    result = load_knowledge(path)
    if result.kb is None:
        for problem in result.errors:
            print(problem, file=sys.stderr)
        print(f"the knowledge base in {path} is not valid; run: advisor validate {path}", file=sys.stderr)
    return result.kb


def _ask_json(advisor: Advisor, question: str, lang: str) -> dict:
    decision = advisor.decide(question)
    view = decision_view(advisor.kb, decision, lang)
    return {
        "question": question,
        "answered": decision.kind == "answer",
        "id": decision.entry_id,
        "score": decision.score,
        "suggestions": [{"id": h.entry_id, "score": h.score} for h in decision.suggestions],
        "offers": [{"id": h.entry_id, "score": h.score} for h in decision.offers],
        "question_lang": decision.lang,
        "text": view.text,
    }


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer questions as the bot would; `-` reads one question per line from stdin."""
    kb = _load_kb(args.knowledge)
    if kb is None:
        return EXIT_FAILED
    advisor = Advisor(kb)
    questions = (
        (line.rstrip("\n") for line in sys.stdin) if args.question == ["-"] else [" ".join(args.question)]
    )
    for question in questions:
        if args.question == ["-"] and not question.strip():
            continue
        result = _ask_json(advisor, question, args.lang)
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            kind = "answer" if result["answered"] else ("suggest" if result["suggestions"] else "decline")
            print(f"[{kind} {result['id'] or ''} score {result['score']:.1f}]\n{result['text']}\n")
    return EXIT_OK


def _print_report(name: str, report: Report, show_misses: bool) -> None:
    print(f"== {name}")
    print(
        f"in scope      {report.in_scope:5d}   direct {report.direct_pct:5.1f} %"
        f"   reach {report.reach_pct:5.1f} %   wrong {report.wrong_pct:4.1f} %"
        f"   (top-1 {report.top1_pct:5.1f} %, top-3 {report.top3_pct:5.1f} %)"
    )
    print(f"out of scope  {report.out_of_scope:5d}   declined {report.reject_pct:5.1f} %")
    print(f"latency       p50 {report.p50_ms:.2f} ms   p99 {report.p99_ms:.2f} ms")
    if show_misses and report.misses:
        print("misses:")
        for miss in report.misses:
            d = miss.decision
            got = ", ".join(f"{h.entry_id} {h.score:.1f}" for h in d.hits) or "-"
            expected = ", ".join(miss.expect) if miss.expect else "decline"
            print(f"  {miss.question!r}: expected {expected}; got {d.kind}: {got}")


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure what members get; exit 1 when a --min-*/--max-* floor is not met."""
    kb = _load_kb(args.knowledge)
    if kb is None:
        return EXIT_FAILED
    advisor = Advisor(kb)
    sets: list[tuple[str, list]] = []
    try:
        for name in args.files or []:
            sets.append((name, read_labelled(Path(name))))
    except LabelError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    if not sets:
        sets.append(("knowledge base test questions", kb_test_questions(kb)))
    ok = True
    for name, items in sets:
        for folded in (False, True) if args.fold else (False,):
            report = evaluate(advisor, items, folded=folded)
            _print_report(name + (" (folded, no diacritics)" if folded else ""), report, not args.quiet)
            for floor, value, label in (
                (args.min_top1, report.top1_pct, "top-1"),
                (args.min_top3, report.top3_pct, "top-3"),
                (args.min_direct, report.direct_pct, "direct"),
                (args.min_reach, report.reach_pct, "reach"),
                (args.min_reject, report.reject_pct, "out-of-scope declined"),
            ):
                if floor is not None and value < floor:
                    print(f"FAIL: {label} {value:.1f} % is below the floor {floor:.1f} %", file=sys.stderr)
                    ok = False
            if args.max_wrong is not None and report.wrong_pct > args.max_wrong:
                print(
                    f"FAIL: wrong {report.wrong_pct:.1f} % is above the ceiling {args.max_wrong:.1f} %",
                    file=sys.stderr,
                )
                ok = False
    return EXIT_OK if ok else EXIT_FAILED


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Learn the decision model from labelled questions; print held-out figures; --write saves it."""
    from advisor import calibration

    kb = _load_kb(args.knowledge)
    if kb is None:
        return EXIT_FAILED
    try:
        labelled = calibration.labelled_sets([Path(name) for name in args.files])
    except LabelError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    samples = calibration.collect(kb, labelled)
    held_out = calibration.cross_validate(samples, kb.related_links())
    report = calibration.report(held_out)
    print(report)
    model = calibration.learn(samples, {"held_out": report.splitlines(), "knowledge": kb.version})
    print(
        f"\nlearned on all: answer >= {model.answer:.2f}, suggest >= {model.suggest:.2f},"
        f" offer >= {model.offer:.2f}"
    )
    if args.write:
        model.save()
        print(f"written: {MODEL_PATH}")
    return EXIT_OK


def write_rows(rows: list[dict], fmt: str, out: TextIO, notice: str = "") -> None:
    """Rows as CSV (`notice` on a line of its own, then the header from the first row's keys)
    or as one JSON array."""
    if fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=1)
        out.write("\n")
        return
    out.write(csv_text(rows, notice))


EXPORT_TABLES = sorted([*EXPORTS, "gaps", "handoffs", "answered"])


async def _export_rows(database: Path | str, args: argparse.Namespace) -> list[dict] | list[Handoff]:
    store = await Store.open(database)
    try:
        if args.table == "gaps":
            return await gap_rows(store)
        if args.table == "answered":  # questions officers answered (marked for the knowledge base)
            return await store.handoffs.answered(only_for_kb=not args.all, limit=10_000)
        return await store.reports.export(args.table, args.province)
    finally:
        await store.close()


def cmd_export(args: argparse.Namespace) -> int:
    """Export a table of the database as CSV or JSON to stdout."""
    database = load_settings().database
    if isinstance(database, Path) and not database.is_file():
        print(f"no database at {database} (set ADVISOR_DB, or start the bot once)", file=sys.stderr)
        return EXIT_FAILED
    if args.yaml and args.table != "answered":
        print("--yaml writes draft knowledge entries: only with `export answered`", file=sys.stderr)
        return EXIT_USAGE
    try:
        rows = asyncio.run(_export_rows(database, args))
    except KeyError:
        print(f"{args.table} cannot be limited to a province", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"cannot read {redact(database)}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.table == "answered":
        if args.yaml:
            kb = _load_kb(args.knowledge)
            if kb is None:
                return EXIT_FAILED
            sys.stdout.write(draft_entries(rows, Advisor(kb)))
            return EXIT_OK
        rows = [dataclasses.asdict(handoff) for handoff in rows]
    notice = ""
    if args.format == "csv":  # for spreadsheets and people; JSON keeps the stored values
        settings = load_settings()
        rows = for_people(rows, settings.admins, settings.officers)
        kb = load_knowledge(settings.knowledge_dir).kb
        notice = kb.ui.get("export_personal", "vi") if kb else PERSONAL_DATA
    write_rows(rows, args.format, sys.stdout, notice)
    return EXIT_OK


PERSONAL_DATA = "DỮ LIỆU CÁ NHÂN"
"""The CSV's first line when the knowledge folder (which words it fully) cannot be read."""


async def _purge(database: Path | str) -> Purged:
    store = await Store.open(database)
    try:
        return await purge(store, load_settings())
    finally:
        await store.close()


def cmd_privacy(args: argparse.Namespace) -> int:
    """`privacy purge`: the retention purge the bot runs daily, run now."""
    settings = load_settings()
    database = settings.database
    if isinstance(database, Path) and not database.is_file():
        print(f"no database at {database} (set ADVISOR_DB, or start the bot once)", file=sys.stderr)
        return EXIT_FAILED
    try:
        purged = asyncio.run(_purge(database))
    except StoreError as exc:
        print(f"cannot purge {redact(database)}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"questions older than {settings.retention_months} months unlinked: {purged.questions_unlinked}; "
        f"delivery rows of broadcasts finished over {settings.delivery_retention_days} days ago "
        f"deleted: {purged.deliveries_deleted}"
    )
    return EXIT_OK


async def _migrate(database: Path | str, dry_run: bool) -> list[tuple[int, str]]:
    """(number, summary) of the migrations the database lacks; applied unless `dry_run`."""
    db = await open_database(database, migrate=False)
    try:
        version = await db.schema_version()
        pending = [
            (number, summary(script)) for number, script in enumerate(db.migrations, 1) if number > version
        ]
        if not dry_run:
            await db.migrate()
        return pending
    finally:
        await db.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply (or, with --dry-run, list) the migrations ADVISOR_DB lacks; the bot applies them at
    start too, so this is for upgrading ahead of a deployment."""
    database = load_settings().database
    if args.dry_run and isinstance(database, Path) and not database.is_file():
        print(f"no database at {database}: every migration would be applied when it is created")
        return EXIT_OK
    try:
        pending = asyncio.run(_migrate(database, args.dry_run))
    except StoreError as exc:
        print(f"cannot migrate {redact(database)}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for number, what in pending:
        print(f"{'pending' if args.dry_run else 'applied'} {number}: {what}")
    print(
        f"{redact(database)}: "
        + (
            f"{len(pending)} migration(s) {'pending' if args.dry_run else 'applied'}"
            if pending
            else "up to date"
        )
    )
    return EXIT_OK


async def _copy(source: Path, target: str) -> list:
    from advisor.storage.copy import copy_database

    sqlite_db = await open_database(source)
    try:
        postgres_db = await open_database(target)
        try:
            return await copy_database(sqlite_db, postgres_db)
        finally:
            await postgres_db.close()
    finally:
        await sqlite_db.close()


def cmd_copy_db(args: argparse.Namespace) -> int:
    """Move an SQLite installation to a new PostgreSQL database (stop the bot first)."""
    source, target = Path(args.sqlite_file), args.postgres_url
    if not source.is_file():
        print(f"no SQLite database at {source}", file=sys.stderr)
        return EXIT_USAGE
    if not is_postgres_url(target):
        print(f"{redact(target)} is not a postgresql:// URL", file=sys.stderr)
        return EXIT_USAGE
    try:
        copies = asyncio.run(_copy(source, target))
    except StoreError as exc:
        print(f"nothing copied: {exc}", file=sys.stderr)
        return EXIT_FAILED
    width = max(len(copy.table) for copy in copies)
    print(f"{'table':<{width}}  {'sqlite':>9}  {'postgres':>9}  checksum")
    for copy in copies:
        print(
            f"{copy.table:<{width}}  {copy.source_rows:>9}  {copy.target_rows:>9}  "
            f"{copy.target_checksum} {'same' if copy.identical else 'DIFFERENT'}"
        )
    total = sum(copy.target_rows for copy in copies)
    print(f"copied {total} rows of {len(copies)} tables into {redact(target)}; set ADVISOR_DB to it")
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    """The real bot against a local Bot API emulator, with a web chat page (no Telegram)."""
    from advisor.telegram.main import setup_logging
    from sandbox import runner

    settings = load_settings()
    setup_logging(args.log_level, None)
    return runner.main(settings, port=args.port, db_path=Path(args.db) if args.db else None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor",
        description="HTX Advisor: check the knowledge base, ask it questions, measure and export.",
        epilog="Environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, ADVISOR_DB, ADVISOR_KNOWLEDGE, "
        "ADVISOR_ADMINS, ADVISOR_OFFICERS (also read from a .env file).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    validate = sub.add_parser("validate", help="check the knowledge base (exit 1 on any error)")
    validate.add_argument(
        "dir", nargs="?", help="knowledge folder (default: $ADVISOR_KNOWLEDGE or knowledge/)"
    )
    validate.set_defaults(func=cmd_validate)

    ask = sub.add_parser("ask", help="answer a question as the bot would")
    ask.add_argument("question", nargs="+", help="the question, or - to read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--lang", choices=("vi", "en"), default="vi")
    ask.add_argument("--knowledge", help="knowledge folder (default: $ADVISOR_KNOWLEDGE)")
    ask.set_defaults(func=cmd_ask)

    ev = sub.add_parser("eval", help="accuracy on labelled questions (default: the entries' test_questions)")
    ev.add_argument("files", nargs="*", help="YAML lists of {q: ..., expect: [ids] | null}")
    ev.add_argument("--fold", action="store_true", help="also run every question with diacritics removed")
    ev.add_argument("--min-top1", type=float, metavar="PCT", help="fail below this top-1 accuracy")
    ev.add_argument("--min-top3", type=float, metavar="PCT", help="fail below this top-3 accuracy")
    ev.add_argument(
        "--min-direct", type=float, metavar="PCT", help="fail below this share answered right at once"
    )
    ev.add_argument(
        "--min-reach", type=float, metavar="PCT", help="fail below this share with the right entry a tap away"
    )
    ev.add_argument(
        "--max-wrong", type=float, metavar="PCT", help="fail above this share answered with a wrong entry"
    )
    ev.add_argument(
        "--min-reject", type=float, metavar="PCT", help="fail below this out-of-scope decline rate"
    )
    ev.add_argument("--quiet", action="store_true", help="do not list the misses")
    ev.add_argument("--knowledge", help="knowledge folder (default: $ADVISOR_KNOWLEDGE)")
    ev.set_defaults(func=cmd_eval)

    calibrate = sub.add_parser(
        "calibrate", help="learn the answer/suggest/decline model from labelled questions (held-out figures)"
    )
    calibrate.add_argument(
        "files", nargs="*", help="labelled YAML files (default: eval/*.yaml and ../shared/eval/*.yaml)"
    )
    calibrate.add_argument("--write", action="store_true", help="save the model the bot uses")
    calibrate.add_argument("--knowledge", help="knowledge folder (default: $ADVISOR_KNOWLEDGE)")
    calibrate.set_defaults(func=cmd_calibrate)

    export = sub.add_parser("export", help="export a table of the database as CSV or JSON")
    export.add_argument("table", choices=EXPORT_TABLES, help="what to export")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument(
        "--province", help="only this province (cooperatives, assessments, results, handoffs)"
    )
    export.add_argument(
        "--yaml",
        action="store_true",
        help="with `answered`: draft knowledge entries for a curator (validate flags them until reviewed)",
    )
    export.add_argument(
        "--all",
        action="store_true",
        help="with `answered`: every answered question, not only those marked 📚",
    )
    export.add_argument("--knowledge", help="knowledge folder for --yaml (default: $ADVISOR_KNOWLEDGE)")
    export.set_defaults(func=cmd_export)

    migrate = sub.add_parser("migrate", help="apply the migrations ADVISOR_DB lacks (SQLite or PostgreSQL)")
    migrate.add_argument("--dry-run", action="store_true", help="only list them")
    migrate.set_defaults(func=cmd_migrate)

    copy_db = sub.add_parser(
        "copy-db", help="copy an SQLite database into a new PostgreSQL one (counts and checksums checked)"
    )
    copy_db.add_argument("sqlite_file", metavar="SQLITE_FILE")
    copy_db.add_argument("postgres_url", metavar="POSTGRES_URL", help="postgresql://user:password@host/db")
    copy_db.set_defaults(func=cmd_copy_db)

    privacy_cmd = sub.add_parser("privacy", help="personal data: the retention purge")
    privacy_cmd.add_argument(
        "action", choices=("purge",), help="purge: unlink and delete what is past retention"
    )
    privacy_cmd.set_defaults(func=cmd_privacy)

    sandbox = sub.add_parser(
        "sandbox", help="try the bot without Telegram: a local Bot API and a web chat page on 127.0.0.1"
    )
    sandbox.add_argument("--port", type=int, help="port of the chat page (default 8080 or the next free)")
    sandbox.add_argument("--db", help="SQLite file of the sandbox (default data/sandbox.db)")
    sandbox.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
