"""Inline buttons: one handler per `Action`, routed by python-telegram-bot's pattern matching.

Before any handler, data this bot did not make is refused and a button made for other
knowledge (before a reload) shows the fresh menu; every callback query is answered once.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from advisor import views
from advisor.actions import Action
from advisor.telegram import admin, browse, callbacks, coop, handlers, handoff, knowledge, officer, privacy
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, command_button, send_view

ButtonHandler = Callable[[Update, AdvisorContext, tuple[str, ...]], Awaitable[bool]]
"""(update, context, arguments) -> whether it answered the callback query itself."""

BUTTONS: dict[Action, ButtonHandler] = {
    Action.MENU: browse.on_menu,
    Action.NOTHING: browse.on_nothing,
    Action.TOPIC: browse.on_topic,
    Action.ENTRY: browse.on_entry,
    Action.GUIDE: browse.on_guide,
    Action.VOTE: browse.on_vote,
    Action.KINDS: browse.on_kinds,
    Action.KIND: browse.on_kind,
    Action.SECTORS: browse.on_sectors,
    Action.SECTOR: browse.on_sector,
    Action.HELP: command_button(handlers.help_command),
    Action.NOTICES: command_button(handlers.show_notices),
    Action.SUBSCRIBE: handlers.on_subscription,
    Action.PROFILE_SECTOR: coop.on_sector,
    Action.PROFILE_PROVINCE: coop.on_province,
    Action.PROVINCE_PAGE: coop.on_province_page,
    Action.PROFILE_EDIT: coop.on_profile_edit,
    Action.PROFILE_NAME: coop.on_name_or_question,
    Action.ASSESS: coop.on_assess,
    Action.ANSWER: coop.on_answer,
    Action.BACK: coop.on_back,
    Action.PAUSE: coop.on_pause,
    Action.HISTORY: command_button(coop.history),
    Action.RESULT: coop.on_result,
    **{
        action: partial(officer.on_audience, action=action)
        for action in (
            Action.AUDIENCE_SECTOR,
            Action.AUDIENCE_LEVEL,
            Action.AUDIENCE_NOT_ASSESSED,
            Action.AUDIENCE_PROVINCE,
            Action.AUDIENCE_PROVINCE_PAGE,
            Action.AUDIENCE,
        )
    },
    Action.PREVIEW: officer.on_preview,
    Action.SCHEDULE: officer.on_schedule,
    Action.CONFIRM: officer.on_confirm,
    Action.DISCARD: officer.on_discard,
    Action.STOP_BROADCAST: officer.on_cancel_broadcast,
    Action.EXPORT: admin.on_export,
    Action.HANDOFF: handoff.on_start,
    Action.HANDOFF_PROVINCE: handoff.on_province,
    Action.HANDOFF_PROVINCE_PAGE: handoff.on_province_page,
    Action.HANDOFF_SEND: handoff.on_send,
    Action.HANDOFF_CLAIM: handoff.on_claim,
    Action.HANDOFF_RELEASE: handoff.on_release,
    Action.HANDOFF_MOVE_PAGE: handoff.on_move_page,
    Action.HANDOFF_MOVE: handoff.on_move,
    Action.HANDOFF_SCOPE: handoff.on_out_of_scope,
    Action.HANDOFF_DELIVER: handoff.on_deliver,
    Action.HANDOFF_RATE: handoff.on_rate,
    Action.HANDOFF_FOLLOW: handoff.on_follow,
    Action.HANDOFF_KB: handoff.on_mark_for_kb,
    Action.HANDOFF_DRAFT: handoff.on_draft,
    Action.KB_MENU: knowledge.on_menu,
    Action.KB_ZIP: knowledge.on_zip,
    Action.KB_FILES: knowledge.on_files,
    Action.KB_FILE: knowledge.on_file,
    Action.KB_UPLOAD: knowledge.on_upload,
    Action.KB_HISTORY: knowledge.on_history,
    Action.KB_ROLLBACK: knowledge.on_rollback,
    Action.KB_APPLY: knowledge.on_apply,
    Action.KB_CANCEL: knowledge.on_cancel,
    Action.CONSENT: privacy.on_consent,
    Action.NOTICE: privacy.on_notice,
    Action.MYDATA: privacy.on_my_data,
    Action.FORGET: privacy.on_forget,
}


async def on_unreadable(update: Update, context: AdvisorContext) -> None:
    """Forged, truncated or foreign callback data (or a button of an unknown action)."""
    OUTCOME.set("callback:invalid")
    await update.callback_query.answer(context.ui("button_invalid"))


async def on_stale(update: Update, context: AdvisorContext) -> None:
    """A button made for other knowledge: say the menu changed and show the fresh one."""
    OUTCOME.set("callback:stale")
    await update.callback_query.answer(context.ui("menu_updated"))
    await send_view(update, context, views.main_menu_view(context.kb, context.lang, "menu_updated"))


ELSEWHERE = frozenset(
    {
        Action.MENU,
        Action.TOPIC,
        Action.ENTRY,
        Action.GUIDE,
        Action.KINDS,
        Action.KIND,
        Action.SECTORS,
        Action.SECTOR,
        Action.HELP,
        Action.NOTICES,
        Action.ASSESS,
        Action.HISTORY,
        Action.RESULT,
        Action.PROFILE_EDIT,
        Action.HANDOFF,
    }
)
"""Taps that take the member somewhere else: they leave a pending flow (a profile or notice
being typed), so the next text is a question again. A flow's own buttons keep it, and so do
privileged buttons, which are refused to anyone without the role anyway."""


def _routed(handler: ButtonHandler) -> Callable[[Update, AdvisorContext], Awaitable[None]]:
    async def route(update: Update, context: AdvisorContext) -> None:
        data = callbacks.decode(update.callback_query.data)
        OUTCOME.set(f"button:{data.action}")
        if data.action in ELSEWHERE and update.effective_user is not None:
            await context.leave_flow(update.effective_user.id)
        if not await handler(update, context, data.args):
            await update.callback_query.answer()

    return route


def _for(action: Action) -> re.Pattern[str]:
    """The action's buttons (data already checked as readable and current by the handlers before)."""
    return re.compile(rf"^[^:]{{{callbacks.VERSION_CHARS}}}:{re.escape(action.value)}(?::|$)")


def add_button_handlers(app: Application) -> None:
    """Unreadable data, then stale buttons, then one handler per action, then anything else."""

    def stale(data: object) -> bool:
        decoded = callbacks.readable(data)
        return decoded is not None and decoded.stale(app.bot_data["runtime"].kb.version)

    app.add_handler(
        CallbackQueryHandler(on_unreadable, pattern=lambda data: callbacks.readable(data) is None)
    )
    app.add_handler(CallbackQueryHandler(on_stale, pattern=stale))
    for action, handler in BUTTONS.items():
        app.add_handler(CallbackQueryHandler(_routed(handler), pattern=_for(action)))
    app.add_handler(CallbackQueryHandler(on_unreadable))
