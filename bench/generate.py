"""Make larger knowledge bases from the real one, for benchmarks.

Copies of the real entries get new ids (`tm.fees` -> `tm.fees_g3`) and the same links
remapped within their copy, so the result is valid and matches like real content.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

REAL = Path(__file__).resolve().parent.parent / "knowledge"


def _copy_entry(entry: dict, suffix: str, ids: set[str]) -> dict:
    new = dict(entry)
    new["id"] = entry["id"] + suffix
    new["related"] = [r + suffix for r in entry.get("related", []) if r in ids]
    for key in ("answer", "answer_en"):
        if key in new:
            new[key] = re.sub(r"\(entry:([a-z0-9_.]+)\)", lambda m: f"(entry:{m.group(1)}{suffix})", new[key])
    return new


def real_entries(source: Path = REAL) -> list[tuple[str, dict]]:
    """(file topic, entry) for every entry of the real knowledge base."""
    out = []
    for path in sorted((source / "faq").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.extend((data["topic"], entry) for entry in data["entries"])
    return out


def generate(target: Path, entries_wanted: int, source: Path = REAL) -> Path:
    """A knowledge folder with about `entries_wanted` entries (at least the real ones)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    originals = real_entries(source)
    ids = {entry["id"] for _, entry in originals}
    copies = max(0, -(-entries_wanted // len(originals)) - 1)
    for number in range(1, copies + 1):
        by_topic: dict[str, list[dict]] = {}
        for topic, entry in originals:
            by_topic.setdefault(topic, []).append(_copy_entry(entry, f"_g{number}", ids))
        for topic, entries in by_topic.items():
            text = yaml.safe_dump({"topic": topic, "entries": entries}, allow_unicode=True, sort_keys=False)
            (target / "faq" / f"{topic}_g{number}.yaml").write_text(text, encoding="utf-8")
    return target
