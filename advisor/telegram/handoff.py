"""'Hỏi cán bộ': a member's unanswered question sent to the officers of their province, one
officer claims and answers it, the answer comes back to the member (`advisor.handoff` decides
who receives and who may answer; `store.handoffs` keeps it all durably)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from advisor import coop_views, markup, provinces
from advisor.actions import Action
from advisor.folding import display
from advisor.handoff import HANDOFF_FLOW, may_handle, recipients
from advisor.records import Handoff, StoreError
from advisor.roles import Role
from advisor.telegram import render
from advisor.telegram.access import allowed
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, clear_buttons, edit_view, send_view
from advisor.views import Button, View, menu_row, ui_html

log = logging.getLogger("advisor.bot")

MAX_QUESTION = 1000
PENDING = "handoff"
"""user_data key: the question a member is about to send, and its province."""


# --- the member asks ---------------------------------------------------------------------------


async def ask(update: Update, context: AdvisorContext) -> None:
    """/ask <question>: send a question to the extension officers directly."""
    text = " ".join(context.args or [])
    if not text.strip():
        await send_view(update, context, context.text_view("handoff_ask_usage"))
        return
    await _prepare(update, context, text)


async def on_start(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """ "📨 Gửi câu hỏi cho cán bộ" under a decline or suggestions: the last question asked."""
    text = context.user_data.get("asked", "") if context.user_data is not None else ""
    if not text:
        await send_view(update, context, context.text_view("handoff_ask_usage"))
        return False
    await _prepare(update, context, text)
    return False


async def _prepare(update: Update, context: AdvisorContext, text: str) -> None:
    """Show what will be sent; a member without a profile picks a province first."""
    coop = await context.store.coops.of_user(update.effective_user.id)
    pending = {"question": display(text)[:MAX_QUESTION], "province": coop.province if coop else None}
    context.user_data[PENDING] = pending
    if pending["province"] is None:
        OUTCOME.set("handoff:province")
        await send_view(update, context, _province_view(context, 0))
        return
    await _confirm(update, context, pending, coop.name if coop else "")


async def on_province(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    pending = context.user_data.get(PENDING)
    number = int(args[0]) if args and args[0].isdigit() else -1
    if pending is None or not 0 <= number < len(provinces.PROVINCES):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    pending["province"] = provinces.PROVINCES[number]
    await clear_buttons(update)
    await _confirm(update, context, pending, "")
    return False


async def on_province_page(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    page = int(args[0]) if args and args[0].isdigit() else 0
    await edit_view(update, context, _province_view(context, page))
    return False


def _province_view(context: AdvisorContext, page: int) -> View:
    """A page of provinces for a member without a profile: whose officers should answer."""
    prompt = (ui_html(context.kb, "handoff_pick_province", context.lang),)
    return coop_views.province_page_view(
        context.kb,
        page,
        context.lang,
        prompt,
        pick=Action.HANDOFF_PROVINCE,
        turn=Action.HANDOFF_PROVINCE_PAGE,
    )


async def _deliver(app: Application, chat_id: int, view: View) -> bool:
    """A view to someone other than the sender of the update (an officer, the asking member);
    False when Telegram refused it (blocked, never started the bot)."""
    kb = app.bot_data["runtime"].kb
    try:
        for message in render.messages(view, kb.version, app.bot.username):
            await app.bot.send_message(chat_id, message.html, reply_markup=message.keyboard)
    except TelegramError as exc:
        log.info("could not deliver to chat %s: %s", chat_id, exc)
        return False
    return True


async def _confirm(update: Update, context: AdvisorContext, pending: dict, coop_name: str) -> None:
    user = update.effective_user
    who = markup.escape(display(user.full_name if user else "")[:64]) + (
        f" · {markup.escape(coop_name)}" if coop_name else ""
    )
    text = ui_html(context.kb, "handoff_confirm", context.lang, who=who, province=pending["province"] or "-")
    rows = (
        (
            Button(context.ui("handoff_send"), (Action.HANDOFF_SEND,)),
            Button(context.ui("broadcast_cancel"), (Action.MENU,)),
        ),
    )
    OUTCOME.set("handoff:confirm")
    await send_view(
        update, context, View((text, f"<blockquote>{markup.escape(pending['question'])}</blockquote>"), rows)
    )


async def on_send(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """📨: store the question and tell the officers who should answer it."""
    pending = context.user_data.pop(PENDING, None) if context.user_data is not None else None
    if pending is None:
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await clear_buttons(update)
    user, store = update.effective_user, context.store
    handoff, created = await store.handoffs.ask(
        user.id, update.effective_chat.id, pending["province"], pending["question"]
    )
    OUTCOME.set(f"handoff:{'sent' if created else 'merged'}:{handoff.id}")
    await send_view(update, context, context.text_view("handoff_sent" if created else "handoff_merged"))
    officers = recipients(handoff.province, await store.grants.all(), context.runtime.settings)
    coop = await store.coops.of_user(user.id)
    for officer_id in officers:
        who, coop_name = display(user.full_name)[:64], coop.name if coop else "-"
        await notify(context.application, officer_id, handoff, "handoff_new", who=who, coop=coop_name)
    return True


async def notify(app: Application, officer_id: int, handoff: Handoff, key: str, **values: str) -> None:
    """Tell one officer about a question, in their language, with its text and the buttons to
    take it or turn it away."""
    rt = app.bot_data["runtime"]
    officer = await rt.require_store().users.get(officer_id)
    if officer is None or officer.blocked_at:
        return
    kb, lang = rt.kb, officer.language
    escaped = {name: markup.escape(value) for name, value in values.items()}
    text = ui_html(kb, key, lang, id=str(handoff.id), province=handoff.province or "-", **escaped)
    rows = (
        (
            Button(kb.ui.get("handoff_claim", lang), (Action.HANDOFF_CLAIM, str(handoff.id))),
            Button(kb.ui.get("handoff_out_of_scope", lang), (Action.HANDOFF_SCOPE, str(handoff.id))),
        ),
    )
    await _deliver(
        app,
        officer.chat_id,
        View((text, f"<blockquote>{markup.escape(handoff.question)}</blockquote>"), rows),
    )


# --- never forgotten -----------------------------------------------------------------------------

REMIND_EVERY_S = 600.0
"""How often waiting questions are checked for reminders."""


async def remind(app: Application, now: dt.datetime | None = None) -> int:
    """Remind the province's officers of questions waiting longer than the configured delay,
    and the admins of those waiting much longer; each once (the mark is taken atomically, so
    two instances never remind twice). Returns how many reminders were sent."""
    rt = app.bot_data["runtime"]
    store, settings = rt.require_store(), rt.settings
    now = now or dt.datetime.now(dt.UTC)
    sent = 0
    stages = (
        ("reminded_at", settings.handoff_remind_hours, "handoff_reminder", None),
        ("escalated_at", settings.handoff_escalate_hours, "handoff_escalated", "admins"),
    )
    grants = await store.grants.all()
    for mark, hours, key, who in stages:
        cutoff = (now - dt.timedelta(hours=hours)).isoformat(timespec="seconds")
        for handoff in await store.handoffs.overdue(cutoff, mark):
            if not await store.handoffs.mark(handoff.id, mark):
                continue
            if who == "admins":
                people = sorted(settings.admins | {g.user_id for g in grants if g.role == "admin"})
            else:
                people = recipients(handoff.province, grants, settings)
            for person in people:
                await notify(app, person, handoff, key, hours=f"{hours:.0f}")
                sent += 1
    return sent


async def remind_forever(app: Application) -> None:
    """The reminder task of the application (cancelled at stop)."""
    while True:
        try:
            await remind(app)
        except StoreError as exc:
            log.warning("could not check waiting questions: %s", exc)
        await asyncio.sleep(REMIND_EVERY_S)


async def my_questions(update: Update, context: AdvisorContext) -> None:
    """/myquestions: the member's questions to officers and where each stands."""
    mine = await context.store.handoffs.of_user(update.effective_user.id)
    if not mine:
        await send_view(update, context, context.text_view("handoff_none_yet"))
        return
    lines = []
    for item in mine:
        status = markup.escape(context.ui(f"handoff_status_{item.status}"))
        lines.append(f"#{item.id} · {status}: {markup.escape(item.question[:120])}")
    view = View(
        (ui_html(context.kb, "handoff_mine_title", context.lang), "\n".join(lines)),
        (menu_row(context.kb, context.lang),),
    )
    await send_view(update, context, view)


# --- the officer answers ------------------------------------------------------------------------


async def on_claim(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """✍️ Trả lời: take the question (one officer at a time), then type the answer."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return True
    handoff = await context.store.handoffs.get(int(args[0])) if args and args[0].isdigit() else None
    if handoff is None or not may_handle(granted, handoff):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    officer_id = update.effective_user.id
    if not await context.store.handoffs.claim(handoff.id, officer_id):
        OUTCOME.set(f"handoff:taken:{handoff.id}")
        await update.callback_query.answer(context.ui("handoff_taken"), show_alert=True)
        return True
    await context.store.flows.set(officer_id, HANDOFF_FLOW, {"id": handoff.id})
    await context.store.audit.record(officer_id, "handoff_claim", f"#{handoff.id}")
    OUTCOME.set(f"handoff:claim:{handoff.id}")
    await send_view(update, context, context.text_view("handoff_write", menu=False, id=str(handoff.id)))
    return False


async def answer_text(update: Update, context: AdvisorContext, state: dict) -> None:
    """The officer's typed answer: delivered to the member with the officer's role and province."""
    granted = await allowed(update, context, Role.OFFICER)
    officer_id = update.effective_user.id
    if granted is None:
        await context.store.flows.end(officer_id)
        return
    rendered = markup.render((update.effective_message.text or "").strip())
    if rendered.errors or not rendered.html.strip():
        problems = "; ".join(error.message for error in rendered.errors[:3])
        await send_view(
            update, context, context.text_view("broadcast_bad_text", menu=False, problems=problems)
        )
        return
    store = context.store
    handoff = await store.handoffs.get(int(state.get("id", 0)))
    if handoff is None or not await store.handoffs.answer(handoff.id, officer_id, rendered.html):
        await store.flows.end(officer_id)
        await send_view(update, context, context.text_view("handoff_taken"))
        return
    await store.flows.end(officer_id)
    await store.audit.record(officer_id, "handoff_answer", f"#{handoff.id}")
    OUTCOME.set(f"handoff:answer:{handoff.id}")
    member = await store.users.get(handoff.user_id)
    lang = member.language if member else "vi"
    role = context.kb.ui.get(f"role_{granted.role.name.lower()}", lang)
    sender = role[:1].upper() + role[1:] + (f" – {granted.scope}" if granted.scope else "")
    head = ui_html(context.kb, "handoff_answered", lang, sender=markup.escape(sender))
    rows = (
        (
            Button("👍", (Action.HANDOFF_RATE, str(handoff.id), "up")),
            Button("👎", (Action.HANDOFF_RATE, str(handoff.id), "down")),
        ),
    )
    view = View((head, f"<blockquote>{markup.escape(handoff.question)}</blockquote>", rendered.html), rows)
    if not await _deliver(context.application, handoff.chat_id, view):
        log.warning("the answer to question %s did not reach the member", handoff.id)
    await send_view(update, context, context.text_view("handoff_delivered", id=str(handoff.id)))


async def on_out_of_scope(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return True
    handoff = await context.store.handoffs.get(int(args[0])) if args and args[0].isdigit() else None
    if (
        handoff is None
        or not may_handle(granted, handoff)
        or not await context.store.handoffs.out_of_scope(handoff.id)
    ):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await context.store.audit.record(update.effective_user.id, "handoff_out_of_scope", f"#{handoff.id}")
    await clear_buttons(update)
    member = await context.store.users.get(handoff.user_id)
    lang = member.language if member else "vi"
    await _deliver(
        context.application, handoff.chat_id, View((ui_html(context.kb, "handoff_not_ours", lang),))
    )
    await update.callback_query.answer(context.ui("handoff_closed"))
    return True


async def on_rate(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    ok = len(args) == 2 and args[0].isdigit() and args[1] in ("up", "down")
    if not ok or not await context.store.handoffs.rate(
        int(args[0]), update.effective_user.id, 1 if args[1] == "up" else -1
    ):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await update.callback_query.answer(context.ui("thanks_vote"))
    return True


async def inbox(update: Update, context: AdvisorContext) -> None:
    """/inbox: the questions waiting for this officer's province, oldest first."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return
    waiting = [h for h in await context.store.handoffs.waiting(granted.scope) if may_handle(granted, h)]
    kb, lang = context.kb, context.lang
    if not waiting:
        await send_view(update, context, context.text_view("handoff_inbox_empty"))
        return
    lines, rows = [], []
    for item in waiting:
        state = kb.ui.get("handoff_claimed_by" if item.status == "claimed" else "handoff_open", lang)
        where, question = markup.escape(item.province or "-"), markup.escape(item.question[:120])
        lines.append(f"#{item.id} · {where} · {markup.escape(state)}: {question}")
        if item.status == "open":
            rows.append(
                (
                    Button(
                        kb.ui.get("handoff_claim", lang) + f" #{item.id}",
                        (Action.HANDOFF_CLAIM, str(item.id)),
                    ),
                )
            )
    rows.append(menu_row(kb, lang))
    await send_view(
        update, context, View((ui_html(kb, "handoff_inbox_title", lang), "\n".join(lines)), tuple(rows))
    )
