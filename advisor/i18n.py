"""One rule for bilingual content: English where it is written and asked for, else Vietnamese."""

from __future__ import annotations


def pick(lang: str, vi: str, en: str) -> str:
    """The text for the user's language; Vietnamese when there is no English version."""
    return en if lang == "en" and en else vi
