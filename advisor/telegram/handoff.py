"""'Hỏi cán bộ': a member's unanswered question sent to the officers of their province, one
officer claims and answers it, the answer comes back to the member, who may follow up once
(`advisor.handoff` decides who receives and who may answer, `advisor.handoff_views` words it,
`store.handoffs` keeps it all durably; every step that matters is in the audit log)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from advisor import handoff_views, markup, provinces
from advisor.actions import EDIT, Action
from advisor.coop_views import province_page_view
from advisor.folding import display
from advisor.handoff import (
    ASK_FLOW,
    FOLLOW_FLOW,
    HANDOFF_FLOW,
    MAX_CONTEXT,
    MAX_QUESTION,
    Asker,
    admins,
    draft_entries,
    may_handle,
    recipients,
    with_context,
)
from advisor.records import Handoff, StoreError
from advisor.roles import Access, Role
from advisor.storage import Store
from advisor.telegram import render
from advisor.telegram.access import allowed
from advisor.telegram.browse import invalid
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, clear_buttons, edit_view, send_view
from advisor.views import View, ui_html

log = logging.getLogger("advisor.bot")


def _number(args: tuple[str, ...], at: int = 0) -> int:
    """A numeric button argument; -1 for a missing or forged one."""
    return int(args[at]) if len(args) > at and args[at].isdigit() else -1


# --- delivering to someone other than the sender of the update -----------------------------------


async def _deliver(app: Application, chat_id: int, view: View) -> bool:
    """A view to another chat (an officer, the asking member); False when Telegram refused it
    (blocked, never started the bot)."""
    kb = app.bot_data["runtime"].kb
    try:
        for message in render.messages(view, kb.version, app.bot.username):
            await app.bot.send_message(chat_id, message.html, reply_markup=message.keyboard)
    except TelegramError as exc:
        log.info("could not deliver to chat %s: %s", chat_id, exc)
        return False
    return True


async def _tell(app: Application, user_id: int, build: Callable[[str], View]) -> bool:
    """A view built in the person's own language, to their private chat."""
    store = app.bot_data["runtime"].require_store()
    person = await store.users.get(user_id)
    if person is None or person.blocked_at:
        return False
    return await _deliver(app, person.chat_id, build(person.language))


async def _language(store: Store, user_id: int) -> str:
    person = await store.users.get(user_id)
    return person.language if person else "vi"


async def _asker(store: Store, handoff: Handoff) -> Asker:
    """What officers are told about the member: the name they agreed to share, their
    cooperative and its latest self-assessment level."""
    coop = await store.coops.of_user(handoff.user_id)
    latest = await store.assessments.history(coop.id, limit=1) if coop else []
    return Asker(handoff.asker, coop, latest[0].level if latest else None)


async def _notify(app: Application, people: list[int], handoff: Handoff, key: str, **values: str) -> int:
    """Tell officers about a question, each in their language; how many were told."""
    store = app.bot_data["runtime"].require_store()
    kb, asker = app.bot_data["runtime"].kb, await _asker(store, handoff)

    def view(lang: str) -> View:
        return handoff_views.officer_notice_view(kb, lang, key, handoff, asker, **values)

    told = 0
    for person in people:
        told += await _tell(app, person, view)
    return told


# --- the member asks ---------------------------------------------------------------------------


async def ask(update: Update, context: AdvisorContext) -> None:
    """/ask <question>: send a question to the extension officers directly."""
    text = " ".join(context.args or [])
    if not text.strip():
        await send_view(update, context, context.text_view("handoff_ask_usage"))
        return
    await _prepare(update, context, text)


async def on_start(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """ "📨 Gửi câu hỏi cho cán bộ" under a decline, suggestions or a 👎: the last question asked
    (kept in the session, or read from the question log after a restart or on another instance)."""
    text = context.user_data.get("asked", "") if context.user_data is not None else ""
    text = text or await context.store.questions.last_of(update.effective_user.id)
    if not text:
        await send_view(update, context, context.text_view("handoff_ask_usage"))
        return False
    await _prepare(update, context, text)
    return False


async def _prepare(update: Update, context: AdvisorContext, text: str) -> None:
    """Keep the question in a flow (it survives a restart) and show what will be sent; a member
    without a profile picks a province first (once: their last question's province is kept)."""
    user_id = update.effective_user.id
    coop = await context.store.coops.of_user(user_id)
    earlier = await context.store.handoffs.of_user(user_id, limit=1)
    province = coop.province if coop else earlier[0].province if earlier else None
    pending = {"question": display(text)[:MAX_QUESTION], "province": province}
    await context.store.flows.set(user_id, ASK_FLOW, pending)
    if pending["province"] is None:
        OUTCOME.set("handoff:province")
        await send_view(update, context, _province_view(context, 0))
        return
    await _confirm(update, context, pending)


async def _pending(update: Update, context: AdvisorContext) -> dict | None:
    flow = await context.store.flows.get(update.effective_user.id)
    return flow[1] if flow is not None and flow[0] == ASK_FLOW else None


async def on_province(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    pending, number = await _pending(update, context), _number(args)
    if pending is None or not 0 <= number < len(provinces.PROVINCES):
        return await invalid(update, context)
    pending["province"] = provinces.PROVINCES[number]
    await context.store.flows.set(update.effective_user.id, ASK_FLOW, pending)
    await clear_buttons(update)
    await _confirm(update, context, pending)
    return False


async def on_province_page(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await edit_view(update, context, _province_view(context, max(_number(args), 0)))
    return False


def _province_view(context: AdvisorContext, page: int) -> View:
    """A page of provinces for a member without a profile: whose officers should answer."""
    prompt = (ui_html(context.kb, "handoff_pick_province", context.lang),)
    return province_page_view(
        context.kb,
        page,
        context.lang,
        prompt,
        pick=Action.HANDOFF_PROVINCE,
        turn=Action.HANDOFF_PROVINCE_PAGE,
    )


async def context_text(update: Update, context: AdvisorContext, state: dict) -> None:
    """Text typed while a question waits for confirmation: one line of context added to it."""
    state["context"] = display(update.effective_message.text or "").strip()[:MAX_CONTEXT]
    await context.store.flows.set(update.effective_user.id, ASK_FLOW, state)
    if state.get("province") is None:
        await send_view(update, context, _province_view(context, 0))
        return
    await _confirm(update, context, state)


async def _confirm(update: Update, context: AdvisorContext, pending: dict) -> None:
    user = update.effective_user
    person = await context.store.users.get(user.id)
    coop = await context.store.coops.of_user(user.id)
    share = None if person is None or person.share_name is None else bool(person.share_name)
    name = display(user.full_name)[:64]
    view = handoff_views.confirm_view(
        context.kb, context.lang, pending, name, coop.name if coop else "", share
    )
    OUTCOME.set("handoff:confirm")
    await send_view(update, context, view)


async def on_send(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """📨: store the question (with the member's name if they agreed, a choice remembered) and
    tell the officers who should answer it."""
    pending = await _pending(update, context)
    if pending is None or not pending.get("province") or args[:1] not in (("0",), ("1",)):
        return await invalid(update, context)
    user, store = update.effective_user, context.store
    share = args[0] == "1"
    await store.users.set_share_name(user.id, share)
    await store.flows.end(user.id)
    await clear_buttons(update)
    question = with_context(pending["question"], pending.get("context", ""))
    asker = display(user.full_name)[:64] if share else None
    handoff, created = await store.handoffs.ask(
        user.id, update.effective_chat.id, pending["province"], question, asker
    )
    await store.audit.record(user.id, "handoff_ask", f"#{handoff.id} {handoff.province}")
    OUTCOME.set(f"handoff:{'sent' if created else 'merged'}:{handoff.id}")
    await send_view(update, context, context.text_view("handoff_sent" if created else "handoff_merged"))
    people = recipients(handoff.province, await store.grants.all(), context.runtime.settings)
    await _notify(context.application, people, handoff, "handoff_new" if created else "handoff_added")
    return True


async def my_questions(update: Update, context: AdvisorContext) -> None:
    """/myquestions: the member's questions to officers and where each stands."""
    mine = await context.store.handoffs.of_user(update.effective_user.id)
    if not mine:
        await send_view(update, context, context.text_view("handoff_none_yet"))
        return
    await send_view(update, context, handoff_views.mine_view(context.kb, context.lang, mine))


async def on_rate(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    ok = len(args) == 2 and args[1] in ("up", "down")
    vote = 1 if args[1:] == ("up",) else -1
    if not ok or not await context.store.handoffs.rate(_number(args), update.effective_user.id, vote):
        return await invalid(update, context)
    OUTCOME.set(f"handoff:rate:{args[0]}:{args[1]}")
    await update.callback_query.answer(context.ui("thanks_vote"))
    return True


async def on_follow(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """💬 Hỏi thêm: the member's one follow-up goes back to the officer who answered."""
    handoff = await context.store.handoffs.get(_number(args))
    user_id = update.effective_user.id
    if handoff is None or handoff.user_id != user_id or handoff.status != "answered" or handoff.follow_up:
        return await invalid(update, context)
    await context.store.flows.set(user_id, FOLLOW_FLOW, {"id": handoff.id})
    await send_view(update, context, context.text_view("handoff_follow_prompt", menu=False))
    return False


async def follow_text(update: Update, context: AdvisorContext, state: dict) -> None:
    store, user_id = context.store, update.effective_user.id
    text = display(update.effective_message.text or "").strip()[:MAX_QUESTION]
    await store.flows.end(user_id)
    handoff_id = int(state.get("id", 0))
    if not await store.handoffs.follow_up(handoff_id, user_id, text):
        await send_view(update, context, context.text_view("button_invalid"))
        return
    handoff = await store.handoffs.get(handoff_id)
    await store.audit.record(user_id, "handoff_follow_up", f"#{handoff_id}")
    OUTCOME.set(f"handoff:follow_up:{handoff_id}")
    await send_view(update, context, context.text_view("handoff_follow_sent"))
    kb = context.kb
    await _tell(
        context.application,
        handoff.claimed_by,
        lambda lang: handoff_views.follow_up_notice_view(kb, lang, handoff),
    )


# --- the officer answers ------------------------------------------------------------------------


async def _handled(
    update: Update, context: AdvisorContext, args: tuple[str, ...]
) -> tuple[Access, Handoff] | None:
    """The officer's access and the question a button names, if they may handle it."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return None
    handoff = await context.store.handoffs.get(_number(args))
    if handoff is None or not may_handle(granted, handoff):
        await invalid(update, context)
        return None
    return granted, handoff


async def on_claim(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """✍️ Trả lời: take the question (one officer at a time; the others see who has it), then
    type the answer."""
    handled = await _handled(update, context, args)
    if handled is None:
        return True
    _, handoff = handled
    officer_id = update.effective_user.id
    if not await context.store.handoffs.claim(
        handoff.id, officer_id, display(update.effective_user.full_name)[:64]
    ):
        OUTCOME.set(f"handoff:taken:{handoff.id}")
        taken = await context.store.handoffs.get(handoff.id)
        who = taken.claimer if taken and taken.status == "claimed" and taken.claimer else "?"
        key = "handoff_taken" if taken and taken.status == "claimed" else "handoff_done"
        await update.callback_query.answer(context.ui(key, who=who), show_alert=True)
        return True
    await context.store.flows.set(officer_id, HANDOFF_FLOW, {"id": handoff.id})
    await context.store.audit.record(officer_id, "handoff_claim", f"#{handoff.id}")
    OUTCOME.set(f"handoff:claim:{handoff.id}")
    await send_view(update, context, handoff_views.write_view(context.kb, context.lang, handoff))
    return False


async def _member_view(context: AdvisorContext, granted: Access, handoff: Handoff, html: str) -> View:
    """The answer as the member will receive it, in their language."""
    lang = await _language(context.store, handoff.user_id)
    sender = handoff_views.signature(context.kb, granted.role.name.lower(), granted.scope, lang)
    return handoff_views.member_answer_view(context.kb, lang, handoff, sender, html)


async def answer_text(update: Update, context: AdvisorContext, state: dict) -> None:
    """The officer's typed answer: shown as the member will get it, to send or retype."""
    granted = await allowed(update, context, Role.OFFICER)
    officer_id = update.effective_user.id
    if granted is None:
        await context.store.flows.end(officer_id)
        return
    typed = (update.effective_message.text or "").strip()
    rendered = markup.render(typed)
    if rendered.errors or not rendered.html.strip():
        problems = "; ".join(error.message for error in rendered.errors[:3])
        await send_view(
            update, context, context.text_view("broadcast_bad_text", menu=False, problems=problems)
        )
        return
    handoff = await context.store.handoffs.get(int(state.get("id", 0)))
    if handoff is None or handoff.status != "claimed" or handoff.claimed_by != officer_id:
        await context.store.flows.end(officer_id)
        await send_view(update, context, context.text_view("handoff_done"))
        return
    await context.store.flows.set(officer_id, HANDOFF_FLOW, {"id": handoff.id, "text": typed})
    member_view = await _member_view(context, granted, handoff, rendered.html)
    OUTCOME.set(f"handoff:preview:{handoff.id}")
    await send_view(
        update, context, handoff_views.preview_view(context.kb, context.lang, handoff, member_view)
    )


async def on_deliver(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """📨 Gửi câu trả lời under the preview: the answer goes to the member."""
    handled = await _handled(update, context, args)
    if handled is None:
        return True
    granted, handoff = handled
    store, officer_id = context.store, update.effective_user.id
    flow = await store.flows.get(officer_id)
    state = flow[1] if flow is not None and flow[0] == HANDOFF_FLOW else {}
    if state.get("id") != handoff.id or not state.get("text"):
        return await invalid(update, context)
    typed = state["text"]
    html = markup.render(typed).html
    signed = handoff_views.signature(context.kb, granted.role.name.lower(), granted.scope, "vi")
    if not await store.handoffs.answer(handoff.id, officer_id, html, typed, signed):
        await store.flows.end(officer_id)
        return await invalid(update, context)
    await store.flows.end(officer_id)
    await store.audit.record(officer_id, "handoff_answer", f"#{handoff.id}")
    OUTCOME.set(f"handoff:answer:{handoff.id}")
    await clear_buttons(update)
    view = await _member_view(context, granted, handoff, html)
    if not await _deliver(context.application, handoff.chat_id, view):
        log.warning("the answer to question %s did not reach the member", handoff.id)
    await send_view(update, context, context.text_view("handoff_delivered", id=str(handoff.id)))
    return False


async def on_release(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """↩️ Trả lại: the officer gives the question back to the province's officers."""
    handled = await _handled(update, context, args)
    if handled is None:
        return True
    _, handoff = handled
    officer_id = update.effective_user.id
    if not await context.store.handoffs.release(handoff.id, officer_id):
        return await invalid(update, context)
    await context.store.flows.end(officer_id)
    await context.store.audit.record(officer_id, "handoff_release", f"#{handoff.id}")
    OUTCOME.set(f"handoff:release:{handoff.id}")
    await clear_buttons(update)
    await send_view(update, context, context.text_view("handoff_released", id=str(handoff.id)))
    return False


async def on_move_page(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """↪️ Chuyển tỉnh khác: the provinces to send the question to (◀ ▶ edit in place)."""
    handled = await _handled(update, context, args)
    if handled is None:
        return True
    view = handoff_views.move_view(context.kb, context.lang, handled[1], max(_number(args, 1), 0))
    await (edit_view if args[-1] == EDIT else send_view)(update, context, view)
    return False


async def on_move(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """A province picked: the question is open there, its officers are told, and so is the member."""
    handled = await _handled(update, context, args)
    if handled is None:
        return True
    _, handoff = handled
    number = _number(args, 1)
    if not 0 <= number < len(provinces.PROVINCES):
        return await invalid(update, context)
    store, officer_id, province = context.store, update.effective_user.id, provinces.PROVINCES[number]
    if not await store.handoffs.move(handoff.id, province):
        return await invalid(update, context)
    flow = await store.flows.get(officer_id)
    if flow is not None and flow[0] == HANDOFF_FLOW and flow[1].get("id") == handoff.id:
        await store.flows.end(officer_id)
    await store.audit.record(officer_id, "handoff_move", f"#{handoff.id} {handoff.province} -> {province}")
    OUTCOME.set(f"handoff:move:{handoff.id}")
    await clear_buttons(update)
    moved = await store.handoffs.get(handoff.id)
    await send_view(
        update, context, context.text_view("handoff_moved", id=str(handoff.id), province=province)
    )
    people = recipients(province, await store.grants.all(), context.runtime.settings)
    await _notify(context.application, [p for p in people if p != officer_id], moved, "handoff_moved_here")
    lang = await _language(store, handoff.user_id)
    note = View((ui_html(context.kb, "handoff_member_moved", lang, id=str(handoff.id), province=province),))
    await _deliver(context.application, handoff.chat_id, note)
    return False


async def on_out_of_scope(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    handled = await _handled(update, context, args)
    if handled is None:
        return True
    _, handoff = handled
    if not await context.store.handoffs.out_of_scope(handoff.id):
        return await invalid(update, context)
    await context.store.audit.record(update.effective_user.id, "handoff_out_of_scope", f"#{handoff.id}")
    await clear_buttons(update)
    lang = await _language(context.store, handoff.user_id)
    await _deliver(
        context.application, handoff.chat_id, View((ui_html(context.kb, "handoff_not_ours", lang),))
    )
    await update.callback_query.answer(context.ui("handoff_closed"))
    return True


async def inbox(update: Update, context: AdvisorContext) -> None:
    """/inbox: the questions waiting for this officer's province, oldest first, with their age
    and who is answering them (each view is in the audit log)."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return
    waiting = [h for h in await context.store.handoffs.waiting(granted.scope) if may_handle(granted, h)]
    now = dt.datetime.now(dt.UTC)
    ages = {h.id: (now - dt.datetime.fromisoformat(h.asked_at)).total_seconds() / 3600 for h in waiting}
    if waiting:
        shown = " ".join(f"#{h.id}" for h in waiting)
        await context.store.audit.record(update.effective_user.id, "handoff_view", shown)
    await send_view(update, context, handoff_views.inbox_view(context.kb, context.lang, waiting, ages))


async def on_mark_for_kb(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """📚 under /gaps: an admin marks an officer's answer for the knowledge base."""
    if await allowed(update, context, Role.ADMIN) is None:
        return True
    handoff_id = _number(args)
    if not await context.store.handoffs.mark_for_kb(handoff_id):
        return await invalid(update, context)
    await context.store.audit.record(update.effective_user.id, "handoff_for_kb", f"#{handoff_id}")
    OUTCOME.set(f"handoff:for_kb:{handoff_id}")
    await update.callback_query.answer(context.ui("handoff_kb_marked", id=str(handoff_id)), show_alert=True)
    return True


async def on_draft(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """📝 under /gaps: a marked answer as a draft entry file; the admin completes it and sends
    it back, so it goes through /kb's check, preview and apply like any other change."""
    if await allowed(update, context, Role.ADMIN) is None:
        return True
    handoff = await context.store.handoffs.get(_number(args))
    if handoff is None or handoff.status != "answered" or not handoff.for_kb:
        return await invalid(update, context)
    await context.store.audit.record(update.effective_user.id, "handoff_draft", f"#{handoff.id}")
    OUTCOME.set(f"handoff:draft:{handoff.id}")
    data = draft_entries([handoff], context.runtime.advisor).encode("utf-8")
    caption = ui_html(context.kb, "handoff_draft_caption", context.lang)
    await context.bot.send_document(
        update.effective_chat.id, data, filename=f"officer_answer_{handoff.id}.yaml", caption=caption
    )
    return False


# --- never forgotten -----------------------------------------------------------------------------

REMIND_EVERY_S = 600.0
"""How often waiting questions are checked for reminders (at most; see `remind_forever`)."""


async def remind(app: Application, now: dt.datetime | None = None) -> int:
    """Remind the province's officers of questions waiting longer than the configured delay,
    and the admins of those waiting much longer; each once (the mark is taken atomically, so
    two instances never remind twice). Returns how many reminders were sent."""
    rt = app.bot_data["runtime"]
    store, settings = rt.require_store(), rt.settings
    now = now or dt.datetime.now(dt.UTC)
    sent = 0
    grants = await store.grants.all()
    stages = (
        ("reminded_at", settings.handoff_remind_hours, "handoff_reminder", False),
        ("escalated_at", settings.handoff_escalate_hours, "handoff_escalated", True),
    )
    for mark, hours, key, escalate in stages:
        cutoff = (now - dt.timedelta(hours=hours)).isoformat(timespec="seconds")
        for handoff in await store.handoffs.overdue(cutoff, mark):
            if not await store.handoffs.mark(handoff.id, mark):
                continue
            people = admins(grants, settings) if escalate else recipients(handoff.province, grants, settings)
            sent += await _notify(app, people, handoff, key, hours=f"{hours:g}")
    return sent


async def remind_forever(app: Application) -> None:
    """The reminder task of the application (cancelled at stop): checks a few times within the
    shortest delay, and at least every `REMIND_EVERY_S`."""
    settings = app.bot_data["runtime"].settings
    every = min(REMIND_EVERY_S, settings.handoff_remind_hours * 3600 / 4)
    while True:
        try:
            await remind(app)
        except StoreError as exc:
            log.warning("could not check waiting questions: %s", exc)
        await asyncio.sleep(every)
