"""Handlers for extension officers: notices to cooperatives (compose, follow, cancel, send)
and members' subscriptions.

The draft's rules live in `advisor.broadcast_draft`, the paced sender in `advisor.broadcast`;
every button here checks the officer's role on the server (`allowed`). Officers tied to a
province only reach that province's cooperatives.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from advisor import markup, officer_views
from advisor.actions import Action
from advisor.broadcast_draft import BROADCAST_FLOW, Draft, format_time, listed_author, may_cancel
from advisor.roles import Access, Role
from advisor.telegram.access import allowed
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, edit_view, send_view
from advisor.views import View

log = logging.getLogger("advisor.bot")

# --- subscriptions -------------------------------------------------------------------------


async def subscribe(update: Update, context: AdvisorContext) -> None:
    await context.store.users.set_subscribed(update.effective_user.id, True)
    await send_view(update, context, context.text_view("subscribed"))


async def unsubscribe(update: Update, context: AdvisorContext) -> None:
    await context.store.users.set_subscribed(update.effective_user.id, False)
    await send_view(update, context, context.text_view("unsubscribed"))


async def chat_member(update: Update, context: AdvisorContext) -> None:
    """A user blocked (kicked) or unblocked the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    await context.store.users.mark_blocked(change.chat.id, blocked)
    OUTCOME.set("blocked" if blocked else "unblocked")


# --- composing a broadcast -------------------------------------------------------------------


async def broadcast(update: Update, context: AdvisorContext) -> None:
    """/broadcast: write the notice first; the audience, preview and confirm follow."""
    if await allowed(update, context, Role.OFFICER) is None:
        return
    await context.store.flows.set(update.effective_user.id, BROADCAST_FLOW, Draft().state())
    OUTCOME.set("broadcast:write")
    await send_view(update, context, context.text_view("broadcast_write", menu=False))


async def broadcast_text(update: Update, context: AdvisorContext, state: dict) -> None:
    """A typed reply in the broadcast flow: the notice, or the time to schedule it."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        await context.store.flows.end(update.effective_user.id)
        return
    draft, text = Draft.from_state(state), update.effective_message.text or ""
    if draft.step == "time":
        await _schedule_time(update, context, draft, granted, text)
        return
    problems = draft.write(text)
    if problems is not None:
        OUTCOME.set("broadcast:bad_text")
        view = context.text_view("broadcast_bad_text", menu=False, problems="; ".join(problems[:3]))
        await send_view(update, context, view)
        return
    await _save(update, context, draft)
    OUTCOME.set("broadcast:audience")
    await send_view(update, context, await _audience_view(context, draft, granted))


async def _save(update: Update, context: AdvisorContext, draft: Draft) -> None:
    await context.store.flows.set(update.effective_user.id, BROADCAST_FLOW, draft.state())


def _as_received(context: AdvisorContext, draft: Draft, granted: Access) -> str:
    """The notice exactly as members receive it (the preview shows this very text)."""
    return officer_views.notice_html(context.kb, draft.html, granted.role.name.lower(), granted.scope)


async def _count(context: AdvisorContext, draft: Draft, granted: Access) -> int:
    return len(await context.store.broadcasts.recipients(draft.audience(granted.scope)))


async def _audience_view(context: AdvisorContext, draft: Draft, granted: Access) -> View:
    count = await _count(context, draft, granted)
    return officer_views.audience_view(context.kb, draft, count, granted.scope, context.lang)


async def _draft(update: Update, context: AdvisorContext) -> tuple[Access, Draft] | None:
    """The caller's written draft, if they are (still) allowed to broadcast and have one."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return None
    flow = await context.store.flows.get(update.effective_user.id)
    draft = Draft.from_state(flow[1]) if flow is not None and flow[0] == BROADCAST_FLOW else None
    if draft is None or not draft.written:
        await update.callback_query.answer(context.ui("button_invalid"))
        return None
    return granted, draft


AUDIENCE_CHOICES = {
    Action.AUDIENCE_SECTOR: "sector",
    Action.AUDIENCE_LEVEL: "level",
    Action.AUDIENCE_NOT_ASSESSED: "not_assessed",
    Action.AUDIENCE_PROVINCE: "province",
}
"""Audience buttons: the action's code -> what `Draft.toggle` switches."""


async def on_audience(update: Update, context: AdvisorContext, args: tuple[str, ...], action: Action) -> bool:
    """Toggles of the audience (bs/bl/bn/bp), province pages (bpp) and back to the audience (ba)."""
    found = await _draft(update, context)
    if found is None:
        return True
    granted, draft = found
    if action in AUDIENCE_CHOICES:
        draft.toggle(AUDIENCE_CHOICES[action], args[0] if args else "", granted.scope)
    if action in (Action.AUDIENCE_PROVINCE, Action.AUDIENCE_PROVINCE_PAGE) and granted.scope is None:
        await _save(update, context, draft)
        if action is Action.AUDIENCE_PROVINCE:
            number = args[1] if len(args) > 1 else "0"
        else:
            number = args[0] if args else "0"
        page = int(number) if number.lstrip("-").isdigit() else 0
        await edit_view(
            update, context, officer_views.province_toggle_view(context.kb, draft, page, context.lang)
        )
        return False
    draft.step = "audience"
    await _save(update, context, draft)
    await edit_view(update, context, await _audience_view(context, draft, granted))
    return False


async def on_preview(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """👁: the notice exactly as recipients will see it, then the count and Send / Schedule."""
    found = await _draft(update, context)
    if found is None:
        return True
    granted, draft = found
    count = await _count(context, draft, granted)
    if count == 0:
        await update.callback_query.answer(context.ui("broadcast_nobody"), show_alert=True)
        return True
    await context.bot.send_message(update.effective_chat.id, _as_received(context, draft, granted))
    when = format_time(draft.send_at) if draft.send_at else None
    OUTCOME.set(f"broadcast:preview:{count}")
    await send_view(update, context, officer_views.preview_view(context.kb, count, when, context.lang))
    return False


async def on_schedule(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    found = await _draft(update, context)
    if found is None:
        return True
    draft = found[1]
    draft.step = "time"
    await _save(update, context, draft)
    await send_view(update, context, context.text_view("broadcast_ask_time", menu=False))
    return False


async def _schedule_time(
    update: Update, context: AdvisorContext, draft: Draft, granted: Access, text: str
) -> None:
    when = draft.schedule(text, dt.datetime.now(dt.UTC))
    if when is None:
        OUTCOME.set("broadcast:bad_time")
        await send_view(update, context, context.text_view("broadcast_bad_time", menu=False))
        return
    await _save(update, context, draft)
    count = await _count(context, draft, granted)
    when_text = when.strftime("%d/%m/%Y %H:%M")
    view = officer_views.preview_view(context.kb, count, when_text, context.lang, scheduling=False)
    await send_view(update, context, view)


async def on_confirm(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """✅: write the broadcast, its recipients and delivery rows in one transaction, then send."""
    found = await _draft(update, context)
    if found is None:
        return True
    granted, draft = found
    store = context.store
    user_id = update.effective_user.id
    audience = draft.audience(granted.scope)
    created, count = await store.broadcasts.create(
        user_id,
        update.effective_chat.id,
        draft.text,
        _as_received(context, draft, granted),
        audience,
        draft.send_at,
    )
    await store.flows.end(user_id)
    await store.audit.record(user_id, "broadcast", f"#{created.id} to {count}")
    OUTCOME.set(f"broadcast:confirm:{created.id}:{count}")
    await update.callback_query.answer()
    if created.status == "scheduled":
        time = format_time(created.send_at)
        view = context.text_view("broadcast_scheduled", id=str(created.id), count=str(count), time=time)
        await send_view(update, context, view)
    else:
        text = officer_views.progress_text(context.kb, created, {"pending": count}, context.lang)
        message = await send_view(update, context, View((markup.escape(text),)))
        if message is not None:
            await store.broadcasts.set_progress_message(created.id, message.message_id)
    sender = context.runtime.sender
    if sender is not None:
        sender.wake()
    return True


async def on_discard(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """✖: drop the draft (only an officer's own broadcast draft: checked, whatever the button says)."""
    if await _draft(update, context) is None:
        return True
    await context.store.flows.end(update.effective_user.id)
    OUTCOME.set("broadcast:discard")
    await edit_view(update, context, context.text_view("broadcast_cancelled"))
    return False


# --- following broadcasts --------------------------------------------------------------------


async def broadcasts(update: Update, context: AdvisorContext) -> None:
    """/broadcasts: recent notices with their figures; running or scheduled ones can be cancelled."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return
    await _show_list(update, context, granted, edit=False)


async def _show_list(update: Update, context: AdvisorContext, granted: Access, edit: bool) -> None:
    store = context.store
    author = listed_author(granted, update.effective_user.id)
    recent = await store.broadcasts.recent(limit=10, author_id=author)
    listed = [(item, await store.deliveries.counts(item.id)) for item in recent]
    view = officer_views.broadcasts_view(context.kb, listed, context.lang)
    await (edit_view if edit else send_view)(update, context, view)


async def on_cancel_broadcast(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """⛔ under /broadcasts: ask, then stop; the list message is updated in place."""
    granted = await allowed(update, context, Role.OFFICER)
    if granted is None:
        return True
    if args == ("list",):  # "keep it": back to the list
        await _show_list(update, context, granted, edit=True)
        return False
    store = context.store
    item = await store.broadcasts.get(int(args[0])) if args and args[0].isdigit() else None
    if item is None or not may_cancel(granted, update.effective_user.id, item):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    if args[1:] != ("yes",):
        await edit_view(update, context, officer_views.stop_confirm_view(context.kb, item.id, context.lang))
        return False
    if not await store.broadcasts.cancel(item.id):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await store.audit.record(update.effective_user.id, "broadcast_cancel", f"#{item.id}")
    OUTCOME.set(f"broadcast:cancel:{item.id}")
    await update.callback_query.answer(context.ui("broadcast_cancelled"))
    await _show_list(update, context, granted, edit=True)
    return True
