"""What members and officers see of 'Hỏi cán bộ', as data (the adapter sends it).

Every text comes from ui.yaml in the reader's language; a question, a name or an answer typed
by someone is inserted escaped (an officer's answer is already rendered from the formatting
subset).
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor import markup
from advisor.actions import Action
from advisor.coop_views import province_page_view
from advisor.handoff import Asker
from advisor.kb.models import KnowledgeBase
from advisor.records import Handoff
from advisor.views import Button, View, menu_row, ui_html


def _quote(text: str) -> str:
    return f"<blockquote>{markup.escape(text)}</blockquote>"


def _button(kb: KnowledgeBase, key: str, lang: str, *action: str) -> Button:
    return Button(kb.ui.get(key, lang), action)


def signature(kb: KnowledgeBase, role: str, scope: str | None, lang: str) -> str:
    """How an answer is signed for the member: the officer's role and province, never their
    personal account ("Cán bộ hỗ trợ – Huế")."""
    name = kb.ui.get(f"role_{role}", lang)
    return name[:1].upper() + name[1:] + (f" – {scope}" if scope else "")


# --- the member --------------------------------------------------------------------------------


def confirm_view(
    kb: KnowledgeBase, lang: str, pending: dict, name: str, coop_name: str, share: bool | None
) -> View:
    """What will be sent, to whom, and whether officers will see the member's name. The first
    time the member chooses (the choice is remembered); later the remembered choice comes first."""
    who = name + (f" · {coop_name}" if coop_name else "")
    paragraphs = [ui_html(kb, "handoff_confirm", lang, province=pending.get("province") or "-")]
    if share is None:
        paragraphs.append(ui_html(kb, "handoff_confirm_ask_name", lang, who=who))
    else:
        paragraphs.append(
            ui_html(kb, "handoff_confirm_name", lang, who=who)
            if share
            else ui_html(kb, "handoff_confirm_anonymous", lang)
        )
    paragraphs.append(
        _quote(pending["question"] + (f"\n({pending['context']})" if pending.get("context") else ""))
    )
    paragraphs.append(ui_html(kb, "handoff_context_hint", lang))
    named = _button(kb, "handoff_send_named", lang, Action.HANDOFF_SEND, "1")
    anonymous = _button(kb, "handoff_send_anonymous", lang, Action.HANDOFF_SEND, "0")
    choices = (anonymous, named) if share is False else (named, anonymous)
    rows = ((choices[0],), (choices[1],), (_button(kb, "broadcast_cancel", lang, Action.MENU),))
    return View(tuple(paragraphs), rows)


def member_answer_view(kb: KnowledgeBase, lang: str, handoff: Handoff, sender: str, html: str) -> View:
    """The officer's answer as the member receives it: 👍/👎, and one follow-up question."""
    follow_up = handoff.follow_up is not None
    head = ui_html(kb, "handoff_follow_answered" if follow_up else "handoff_answered", lang, sender=sender)
    asked = handoff.follow_up if follow_up else handoff.question
    rows: list[tuple[Button, ...]] = [
        (
            Button("👍", (Action.HANDOFF_RATE, str(handoff.id), "up")),
            Button("👎", (Action.HANDOFF_RATE, str(handoff.id), "down")),
        )
    ]
    if not follow_up:
        rows.append((_button(kb, "handoff_follow", lang, Action.HANDOFF_FOLLOW, str(handoff.id)),))
    return View((head, _quote(asked or ""), html), tuple(rows))


def mine_view(kb: KnowledgeBase, lang: str, mine: Sequence[Handoff]) -> View:
    """/myquestions: where each of the member's questions stands, honestly."""
    lines = []
    for item in mine:
        status = "follow_up" if item.status == "claimed" and item.follow_up else item.status
        state = kb.ui.get(f"handoff_status_{status}", lang)
        lines.append(f"#{item.id} · {markup.escape(state)}: {markup.escape(item.question[:120])}")
    return View((ui_html(kb, "handoff_mine_title", lang), "\n".join(lines)), (menu_row(kb, lang),))


# --- officers ----------------------------------------------------------------------------------


def _asker_lines(kb: KnowledgeBase, lang: str, asker: Asker) -> str:
    lines = [ui_html(kb, "handoff_from", lang, who=asker.name or kb.ui.get("handoff_anonymous", lang))]
    coop = asker.coop
    if coop is None:
        lines.append(ui_html(kb, "handoff_no_coop", lang))
    else:
        sector = kb.ui.get(f"sector_{coop.sector}", lang)
        lines.append(
            ui_html(kb, "handoff_coop", lang, coop=coop.name, sector=sector, members=str(coop.members))
        )
        label = kb.assessment.level_label(asker.level, lang) if kb.assessment and asker.level else None
        lines.append(
            ui_html(kb, "handoff_level", lang, level=str(asker.level), label=label)
            if label
            else ui_html(kb, "handoff_no_level", lang)
        )
    return "\n".join(lines)


def officer_notice_view(
    kb: KnowledgeBase, lang: str, key: str, handoff: Handoff, asker: Asker, **values: str
) -> View:
    """A question for an officer (new, moved here, reminder, escalation): who asks, their
    cooperative and its latest level, the question, and the buttons to take it, send it to
    another province, or turn it away."""
    head = ui_html(
        kb,
        key,
        lang,
        id=str(handoff.id),
        province=handoff.province or "-",
        origin=handoff.moved_from or "-",
        **values,
    )
    hid = str(handoff.id)
    rows = (
        (_button(kb, "handoff_claim", lang, Action.HANDOFF_CLAIM, hid),),
        (
            _button(kb, "handoff_move", lang, Action.HANDOFF_MOVE_PAGE, hid, "0"),
            _button(kb, "handoff_out_of_scope", lang, Action.HANDOFF_SCOPE, hid),
        ),
    )
    return View((head, _asker_lines(kb, lang, asker), _quote(handoff.question)), rows)


def follow_up_notice_view(kb: KnowledgeBase, lang: str, handoff: Handoff) -> View:
    """The member's follow-up, to the officer who answered (already theirs to answer)."""
    head = ui_html(kb, "handoff_follow_new", lang, id=str(handoff.id))
    rows = ((_button(kb, "handoff_claim", lang, Action.HANDOFF_CLAIM, str(handoff.id)),),)
    return View((head, _quote(handoff.question), _quote(handoff.follow_up or "")), rows)


def write_view(kb: KnowledgeBase, lang: str, handoff: Handoff) -> View:
    """After taking a question: type the answer (or give the question back)."""
    asked = handoff.follow_up or handoff.question
    rows = ((_button(kb, "handoff_release", lang, Action.HANDOFF_RELEASE, str(handoff.id)),),)
    return View((ui_html(kb, "handoff_write", lang, id=str(handoff.id)), _quote(asked)), rows)


def preview_view(kb: KnowledgeBase, lang: str, handoff: Handoff, member_view: View) -> View:
    """The answer exactly as the member will get it, before it is sent."""
    hid = str(handoff.id)
    rows = (
        (_button(kb, "handoff_deliver", lang, Action.HANDOFF_DELIVER, hid),),
        (_button(kb, "handoff_release", lang, Action.HANDOFF_RELEASE, hid),),
    )
    return View((ui_html(kb, "handoff_preview", lang), *member_view.paragraphs), rows)


def move_view(kb: KnowledgeBase, lang: str, handoff: Handoff, page: int) -> View:
    """The provinces a question can be sent to instead."""
    intro = (ui_html(kb, "handoff_move_pick", lang, id=str(handoff.id)),)
    return province_page_view(
        kb,
        page,
        lang,
        intro,
        pick=Action.HANDOFF_MOVE,
        turn=Action.HANDOFF_MOVE_PAGE,
        carry=(str(handoff.id),),
    )


def inbox_view(kb: KnowledgeBase, lang: str, waiting: Sequence[Handoff], age_hours: dict[int, float]) -> View:
    """/inbox: waiting questions, oldest first, with their age and who is answering them."""
    if not waiting:
        return View((ui_html(kb, "handoff_inbox_empty", lang),), (menu_row(kb, lang),))
    lines, rows = [], []
    for item in waiting:
        if item.status == "claimed":
            state = kb.ui.get("handoff_claimed_by", lang, who=item.claimer or "?")
        else:
            state = kb.ui.get("handoff_open", lang)
        age = kb.ui.get("handoff_age", lang, hours=f"{age_hours.get(item.id, 0):.0f}")
        where = item.province or "-"
        lines.append(
            f"#{item.id} · {markup.escape(where)} · {markup.escape(age)} · {markup.escape(state)}: "
            + markup.escape(item.question[:120])
        )
        if item.status == "open":
            label = kb.ui.get("handoff_claim", lang) + f" #{item.id}"
            rows.append((Button(label, (Action.HANDOFF_CLAIM, str(item.id))),))
    rows.append(menu_row(kb, lang))
    return View((ui_html(kb, "handoff_inbox_title", lang), "\n".join(lines)), tuple(rows))


def answered_section(kb: KnowledgeBase, lang: str, answered: Sequence[Handoff]) -> View:
    """/gaps, for admins: questions officers answered, with their rating; 📚 marks one for the
    knowledge base, 📝 then sends it as a draft entry file to complete and send back through
    /kb (or `advisor export answered --yaml` writes them all)."""
    lines, rows = [], []
    for item in answered[:15]:
        rating = {1: "👍", -1: "👎"}.get(item.rating or 0, "·")
        mark = " 📚" if item.for_kb else ""
        lines.append(f"#{item.id} {rating}{mark} {markup.escape(item.question[:100])}")
        key, action = (
            ("handoff_draft_button", Action.HANDOFF_DRAFT)
            if item.for_kb
            else ("handoff_kb_button", Action.HANDOFF_KB)
        )
        rows.append(Button(kb.ui.get(key, lang, id=str(item.id)), (action, str(item.id))))
    buttons = tuple(tuple(rows[i : i + 3]) for i in range(0, len(rows), 3))
    return View((ui_html(kb, "gaps_answered", lang) + "\n" + "\n".join(lines),), buttons)
