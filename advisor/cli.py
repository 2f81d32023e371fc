"""`advisor` / `python -m advisor`: the command line for operators and curators.

Exit codes scripts can trust: 0 success, 1 a check failed (invalid knowledge, accuracy
below a floor), 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from advisor.config import ConfigError, load_settings
from advisor.kb import load_knowledge

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a knowledge folder; print every problem as path:line: message."""
    folder = Path(args.dir) if args.dir else load_settings().knowledge_dir
    result = load_knowledge(folder)
    for problem in result.problems:
        print(problem, file=sys.stdout if problem.warning else sys.stderr)
    if result.kb is None:
        print(f"{len(result.errors)} error(s), {len(result.warnings)} warning(s) in {folder}", file=sys.stderr)
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
    validate.add_argument("dir", nargs="?", help="knowledge folder (default: $ADVISOR_KNOWLEDGE or knowledge/)")
    validate.set_defaults(func=cmd_validate)
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
