"""What a cooperative sees of its own profile and self-assessment, as channel-free views.

Like `advisor.views`: Telegram-safe HTML plus buttons with short action tuples; every
wording comes from `ui.yaml` or `assessment.yaml`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from advisor import markup, provinces
from advisor.actions import Action
from advisor.assessment import Question, Questionnaire, Result
from advisor.i18n import pick
from advisor.kb.models import SECTORS, KnowledgeBase
from advisor.records import Assessment, Coop
from advisor.views import EDIT, Button, View, menu_row
from advisor.views import ui_html as _ui

PROVINCE_PAGE = 12
VIETNAM = dt.timezone(dt.timedelta(hours=7))
"""Dates and times are shown, and schedules typed, in Vietnam's time."""
PROFILE_FIELDS = ("name", "province", "sector", "members")


# --- profile ------------------------------------------------------------------------------


def name_or_question_view(kb: KnowledgeBase, text: str, lang: str) -> View:
    """The reply to "what is the cooperative's name?" reads like a question: which is it?"""
    rows = (
        (Button(kb.ui.get("name_is_name", lang), (Action.PROFILE_NAME, "yes")),),
        (Button(kb.ui.get("name_is_question", lang), (Action.PROFILE_NAME, "no")),),
    )
    return View((_ui(kb, "name_or_question", lang, name=text[:200]),), rows)


def prompt_view(kb: KnowledgeBase, field: str, lang: str, error: str | None = None) -> View:
    """Ask for one profile field; `error` is a ui key explaining why the last reply was refused."""
    paragraphs = [_ui(kb, error, lang)] if error else []
    paragraphs.append(_ui(kb, f"ask_{field}", lang))
    if field == "province":
        return province_page_view(kb, 0, lang, tuple(paragraphs))
    if field == "sector":
        rows = [(Button(kb.ui.get(f"sector_{s}", lang), (Action.PROFILE_SECTOR, s)),) for s in SECTORS]
        return View(tuple(paragraphs), tuple(rows))
    return View(tuple(paragraphs))


def province_page_view(
    kb: KnowledgeBase,
    page: int,
    lang: str,
    intro: tuple[str, ...] = (),
    *,
    pick: Action = Action.PROFILE_PROVINCE,
    turn: Action = Action.PROVINCE_PAGE,
    chosen: frozenset[str] = frozenset(),
    done: Button | None = None,
    carry: tuple[str, ...] = (),
) -> View:
    """The 34 provinces as buttons, two per row, twelve per page: `pick` carries a province's
    index and the page, `turn` a page, both after `carry` (e.g. the question being moved);
    `chosen` ones are ticked (the broadcast audience)."""
    pages = -(-len(provinces.PROVINCES) // PROVINCE_PAGE)
    page = min(max(page, 0), pages - 1)
    start = page * PROVINCE_PAGE
    shown = list(enumerate(provinces.PROVINCES))[start : start + PROVINCE_PAGE]
    rows = [
        tuple(
            Button(("✅ " if name in chosen else "") + name, (pick, *carry, str(index), str(page)))
            for index, name in shown[pair : pair + 2]
        )
        for pair in range(0, len(shown), 2)
    ]
    nav = []
    if page > 0:
        nav.append(Button("◀", (turn, *carry, str(page - 1), EDIT)))
    nav.append(Button(f"{page + 1}/{pages}", (turn, *carry, str(page), EDIT)))
    if page < pages - 1:
        nav.append(Button("▶", (turn, *carry, str(page + 1), EDIT)))
    rows.append(tuple(nav))
    if done is not None:
        rows.append((done,))
    return View(intro or (_ui(kb, "ask_province", lang),), tuple(rows))


def profile_view(kb: KnowledgeBase, coop: Coop, invite_link: str, lang: str, intro_key: str = "") -> View:
    """The cooperative's profile, its invite link, and buttons to edit each field."""
    values = {
        "name": coop.name,
        "province": coop.province,
        "sector": kb.ui.get(f"sector_{coop.sector}", lang),
        "members": str(coop.members),
    }
    paragraphs = [_ui(kb, intro_key, lang)] if intro_key else []
    paragraphs.append(_ui(kb, "profile_card", lang, **values))
    paragraphs.append(_ui(kb, "invite", lang) + "\n" + markup.escape(invite_link))
    rows = [
        tuple(Button(kb.ui.get(f"edit_{f}", lang), (Action.PROFILE_EDIT, f)) for f in PROFILE_FIELDS[:2]),
        tuple(Button(kb.ui.get(f"edit_{f}", lang), (Action.PROFILE_EDIT, f)) for f in PROFILE_FIELDS[2:]),
        (Button(kb.ui.get("menu_assess", lang), (Action.ASSESS,)),),
        menu_row(kb, lang),
    ]
    return View(tuple(paragraphs), tuple(rows))


# --- the questionnaire ----------------------------------------------------------------------


def intro_view(
    kb: KnowledgeBase,
    questionnaire: Questionnaire,
    coop: Coop,
    lang: str,
    resumable: bool,
    last: Assessment | None = None,
) -> View:
    """Before the first question: what it is, for which cooperative; start or resume, or see
    the last result again (it is stored, whatever happened to its first sending)."""
    title = pick(lang, questionnaire.title, questionnaire.title_en)
    intro = pick(lang, questionnaire.intro, questionnaire.intro_en)
    paragraphs = [
        f"<b>{markup.escape(title)}</b>",
        *markup.render(intro).paragraphs,
        _ui(kb, "assess_for", lang, name=coop.name),
    ]
    rows = [
        (Button(kb.ui.get("assess_resume" if resumable else "assess_begin", lang), (Action.ASSESS, "go")),)
    ]
    if resumable:
        rows.append((Button(kb.ui.get("assess_restart", lang), (Action.ASSESS, "new")),))
    if last is not None:
        rows.append((Button(kb.ui.get("result_last_button", lang), (Action.RESULT, str(last.id))),))
    rows.append((Button(kb.ui.get("history_button", lang), (Action.HISTORY,)), *menu_row(kb, lang)))
    return View(tuple(paragraphs), tuple(rows))


def question_view(
    kb: KnowledgeBase,
    questionnaire: Questionnaire,
    assessment_id: int,
    question: Question,
    answers: Mapping[str, int],
    lang: str,
) -> View:
    """One question: progress, pillar, the question, its options; Back and Pause."""
    number, total = questionnaire.progress(question.id, answers)
    pillar = questionnaire.pillar(question.pillar)
    progress = kb.ui.get("question_progress", lang, number=str(number), total=str(total))
    heading = (
        f"<b>{markup.escape(progress)}</b> · <i>{markup.escape(pillar.name(lang) if pillar else '')}</i>"
    )
    chosen = answers.get(question.id)
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                ("✓ " if index == chosen else "") + option.label(lang),
                (Action.ANSWER, str(assessment_id), question.id, str(index)),
            ),
        )
        for index, option in enumerate(question.options)
    ]
    controls = [Button(kb.ui.get("assess_pause", lang), (Action.PAUSE, str(assessment_id)))]
    if questionnaire.before(question.id, answers) is not None:
        controls.insert(0, Button(kb.ui.get("back", lang), (Action.BACK, str(assessment_id), question.id)))
    rows.append(tuple(controls))
    return View((heading, markup.escape(question.wording(lang))), tuple(rows))


def paused_view(kb: KnowledgeBase, number: int, total: int, lang: str) -> View:
    """Paused at question `number`: every answer is kept; continue now or later with /assess."""
    resume = Button(kb.ui.get("assess_resume", lang), (Action.ASSESS, "go"))
    return View(
        (_ui(kb, "assess_paused", lang, number=str(number), total=str(total)),),
        ((resume,), menu_row(kb, lang)),
    )


def _signed(change: float) -> str:
    rounded = round(change)
    return f"▲ +{rounded}" if rounded > 0 else f"▼ {rounded}" if rounded < 0 else "="


def _delta(now: float, before: float | None) -> str:
    """ " (▲ +12)" after a score when there is an earlier score to compare with."""
    return "" if before is None else f" ({_signed(now - before)})"


STRONG_PILLAR = 75.0
"""A pillar at or above this score needs no "work on first" advice."""


def result_view(
    kb: KnowledgeBase,
    questionnaire: Questionnaire,
    result: Result,
    previous: Assessment | None,
    lang: str,
) -> View:
    """The level and what it means, a score per pillar (with the change since last time),
    the two weakest pillars with next steps, and buttons to entries and support programmes."""
    level = result.level
    paragraphs = [
        _ui(
            kb,
            "result_level",
            lang,
            level=str(level.id),
            name=level.label(lang),
            score=f"{result.overall:.0f}",
        )
    ]
    if previous is not None and previous.overall is not None:
        paragraphs.append(
            _ui(
                kb,
                "result_change",
                lang,
                before=f"{previous.overall:.0f}",
                date=_date(previous.finished_at),
                delta=_signed(result.overall - previous.overall),
            )
        )
    paragraphs.extend(markup.render(level.meaning_text(lang)).paragraphs)
    lines = [f"<b>{markup.escape(kb.ui.get('result_pillars', lang))}</b>"]
    before = previous.pillar_scores if previous else {}
    for pillar in questionnaire.pillars:
        score = result.pillar_scores[pillar.id]
        change = _delta(score, before.get(pillar.id))
        lines.append(f"• {markup.escape(pillar.name(lang))}: <b>{score:.0f}</b> / 100{change}")
    paragraphs.append("\n".join(lines))
    entries: list[str] = []
    programmes: list[str] = []
    weak = [p for p in result.weakest if result.pillar_scores[p] < STRONG_PILLAR]
    for pillar_id in weak:
        pillar = questionnaire.pillar(pillar_id)
        if pillar is None:
            continue
        paragraphs.append(_ui(kb, "result_weak", lang, pillar=pillar.name(lang)))
        paragraphs.extend(markup.render(pillar.advice_text(lang)).paragraphs)
        entries.extend(pillar.entries)
        programmes.extend(pillar.programmes)
    if not weak:  # strong everywhere: beginner tasks would contradict the score
        paragraphs.append(_ui(kb, "result_all_strong", lang))
    entries.extend(level.entries)
    programmes.extend(level.programmes)
    guides = [ref for ref in dict.fromkeys(entries) if ref in kb.entries][:5]
    policies = [ref for ref in dict.fromkeys(programmes) if ref in kb.entries and kb.entries[ref].programme][
        :4
    ]
    # the full titles in the message, numbered like the buttons (a phone cuts button labels)
    numbered = list(enumerate([*guides, *policies], 1))
    if guides:
        listing = "\n".join(
            f"{n}. {markup.escape(kb.entries[ref].heading(lang))}" for n, ref in numbered[: len(guides)]
        )
        paragraphs.append(_ui(kb, "result_guides", lang) + "\n" + listing)
    if policies:
        listing = "\n".join(
            f"{n}. {markup.escape(kb.entries[ref].heading(lang))}" for n, ref in numbered[len(guides) :]
        )
        paragraphs.append(_ui(kb, "result_programmes", lang) + "\n" + listing)
    rows = [
        (
            Button(
                f"{'➜' if n <= len(guides) else '🤝'} {n}. {kb.entries[ref].heading(lang)}",
                (Action.ENTRY, ref),
            ),
        )
        for n, ref in numbered
    ]
    rows.append(
        (
            Button(kb.ui.get("assess_again", lang), (Action.ASSESS, "new")),
            Button(kb.ui.get("history_button", lang), (Action.HISTORY,)),
        )
    )
    rows.append(menu_row(kb, lang))
    return View(tuple(paragraphs), tuple(rows))


def _date(stamp: str | None) -> str:
    if not stamp:
        return "-"
    return dt.datetime.fromisoformat(stamp).astimezone(VIETNAM).strftime("%d/%m/%Y")


def _level_name(kb: KnowledgeBase, item: Assessment, lang: str) -> str:
    """A past result's level in the reader's language (the stored name is Vietnamese)."""
    return (kb.assessment and kb.assessment.level_label(item.level, lang)) or item.level_name or ""


def history_view(kb: KnowledgeBase, coop: Coop, past: Sequence[Assessment], lang: str) -> View:
    """Past results of the cooperative, newest first, with the change between them."""
    paragraphs = [_ui(kb, "history_title", lang, name=coop.name)]
    if not past:
        paragraphs.append(_ui(kb, "history_empty", lang))
    lines = []
    for index, item in enumerate(past):
        older = past[index + 1].overall if index + 1 < len(past) else None
        lines.append(
            f"• {_date(item.finished_at)}: <b>{item.overall:.0f}</b> / 100 · "
            f"{markup.escape(_level_name(kb, item, lang))}{_delta(item.overall or 0, older)}"
        )
    if lines:
        paragraphs.append("\n".join(lines))
    opens = [
        (Button(f"📊 {_date(item.finished_at)} · {item.overall:.0f}", (Action.RESULT, str(item.id))),)
        for item in past[:HISTORY_BUTTONS]
    ]
    rows = [
        *opens,
        (Button(kb.ui.get("assess_again" if past else "assess_begin", lang), (Action.ASSESS, "new")),),
        menu_row(kb, lang),
    ]
    return View(tuple(paragraphs), tuple(rows))


HISTORY_BUTTONS = 8
"""Past results that can be opened in full from /history (the newest)."""
