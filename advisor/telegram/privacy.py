"""Personal data in Telegram: the consent prompt (on /start, after an undecided person's next
question, and in front of features that keep something about them), /privacy, /mydata and
/forget. The rules are in `advisor.privacy`; the texts in ui.yaml and privacy.yaml.

Where a person stands is read through `advisor.telegram.consent`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop

from advisor import privacy, privacy_views, views
from advisor.actions import Action
from advisor.coop_views import VIETNAM
from advisor.folding import display
from advisor.privacy import Status
from advisor.records import Consent, StoreError
from advisor.roles import Role
from advisor.telegram import callbacks, coop
from advisor.telegram.access import access_of
from advisor.telegram.browse import invalid
from advisor.telegram.consent import CONSENT, status_of
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, clear_buttons, send_view

log = logging.getLogger("advisor.bot")

ASKED = "notice_shown"
"""user_data: the consent prompt was shown in this run (asked once, not at every message)."""
AFTER_CONSENT = "after_consent"
"""user_data: a /start link (join_..., assess) to open once the person agrees."""
PURGE_EVERY_S = 24 * 3600.0
WRITES_WAIT_S = 5.0

CONSENT_ACTIONS = frozenset(
    {
        Action.ASSESS,
        Action.ANSWER,
        Action.BACK,
        Action.PAUSE,
        Action.HISTORY,
        Action.RESULT,
        Action.PROFILE_SECTOR,
        Action.PROFILE_PROVINCE,
        Action.PROVINCE_PAGE,
        Action.PROFILE_EDIT,
        Action.PROFILE_NAME,
        Action.NOTICES,
        Action.SUBSCRIBE,
        Action.HANDOFF,
        Action.HANDOFF_PROVINCE,
        Action.HANDOFF_PROVINCE_PAGE,
        Action.HANDOFF_SEND,
        Action.HANDOFF_RATE,
    }
)
"""Buttons of the features that need consent (`privacy.CONSENT_FEATURES` lists the commands)."""


def _values(context: AdvisorContext) -> dict[str, str]:
    return privacy.notice_values(context.runtime.settings, context.ui("operator_unnamed"))


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


# --- the prompt ----------------------------------------------------------------------------------


async def start(update: Update, context: AdvisorContext, payload: str) -> bool:
    """/start from someone who has not decided on this notice: the greeting and the notice with
    the consent buttons in one message, before anything about them is stored. A link that
    needs a profile (join_..., assess) waits for the consent. True if it answered."""
    current = status_of(context)
    if current == Status.GRANTED:
        return False
    needs_profile = payload == "assess" or payload.startswith("join_")
    opens_knowledge = payload.startswith(("e_", "topic_"))  # a shared link to an answer: show it
    if opens_knowledge or (not privacy.should_ask(current) and not needs_profile):
        return False
    context.user_data[ASKED] = True
    notice, lang = privacy.notice_of(context.kb), context.lang
    OUTCOME.set("start:consent")
    if needs_profile:
        context.user_data[AFTER_CONSENT] = payload
        view = privacy_views.consent_view(context.kb, notice, lang, _values(context), "consent_needed")
    else:
        name = display(update.effective_user.first_name if update.effective_user else "")[:64] or "bạn"
        view = privacy_views.start_view(context.kb, notice, lang, _values(context), name)
    await send_view(update, context, view)
    return True


async def after_question(update: Update, context: AdvisorContext) -> None:
    """An undecided person's question was answered: now, once, the notice and the buttons."""
    if not _private(update) or context.user_data is None or context.user_data.get(ASKED):
        return
    if not privacy.should_ask(status_of(context)):
        return
    context.user_data[ASKED] = True
    view = privacy_views.consent_view(
        context.kb, privacy.notice_of(context.kb), context.lang, _values(context)
    )
    await send_view(update, context, view)


def _feature(update: Update) -> str | None:
    """The command or button of a feature that needs consent, if this update is one."""
    if update.callback_query is not None:
        data = callbacks.readable(update.callback_query.data)
        return data.action.value if data is not None and data.action in CONSENT_ACTIONS else None
    text = update.message.text if update.message is not None else None
    if not text or not text.startswith("/"):
        return None
    command = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(text) > 1 else ""
    return command if command in privacy.CONSENT_FEATURES else None


async def consent_gate(update: Update, context: AdvisorContext) -> None:
    """Before the handlers: a feature that keeps something about the person, asked for without
    consent, gets the reason and the consent buttons instead (the feature's own handler never runs)."""
    user = update.effective_user
    if user is None or user.is_bot or not _private(update) or context.runtime.store is None:
        return
    feature = _feature(update)
    if feature is None or status_of(context) == Status.GRANTED:
        return
    OUTCOME.set(f"consent_needed:{feature}")
    if update.callback_query is not None:
        await update.callback_query.answer()
    view = privacy_views.consent_view(
        context.kb, privacy.notice_of(context.kb), context.lang, _values(context), "consent_needed"
    )
    await send_view(update, context, view)
    raise ApplicationHandlerStop


# --- decisions -------------------------------------------------------------------------------------


DECISIONS = {"y": "granted", "n": "refused", "w": "withdrawn"}


async def on_consent(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """Đồng ý / Không đồng ý / Rút lại: recorded with the notice version the buttons were made
    for; a button of an older notice shows the new one instead."""
    if len(args) != 2 or args[0] not in DECISIONS:
        return await invalid(update, context)
    notice, lang = privacy.notice_of(context.kb), context.lang
    if args[1] != notice.version:
        OUTCOME.set("consent:old_notice")
        await update.callback_query.answer(context.ui("consent_old_notice"))
        await send_view(
            update, context, privacy_views.consent_view(context.kb, notice, lang, _values(context))
        )
        return True
    user, chat = update.effective_user, update.effective_chat
    store = context.store
    before = status_of(context)
    decision = DECISIONS[args[0]]
    if decision == "withdrawn" and before != Status.GRANTED:
        decision = "refused"
    if decision == "granted":
        await store.consents.record(user.id, notice.version, decision)
        await store.users.touch(user.id, chat.id, lang, user.username)
    elif before != Status.UNKNOWN or await store.users.get(user.id) is not None:
        # someone the database already knows: the refusal keeps them out of notices and exports
        await store.consents.record(user.id, notice.version, decision)
        await context.leave_flow(user.id)
    # an unknown person's refusal is remembered in memory only: nothing is stored about them
    context.user_data[CONSENT] = Consent(
        user.id, notice.version, decision, dt.datetime.now(dt.UTC).isoformat()
    )
    context.user_data[ASKED] = True
    OUTCOME.set(f"consent:{decision}")
    await clear_buttons(update)
    intro = {"granted": "consent_granted", "refused": "consent_refused", "withdrawn": "consent_withdrawn"}
    await send_view(update, context, views.main_menu_view(context.kb, lang, intro[decision]))
    payload = context.user_data.pop(AFTER_CONSENT, "")
    if decision == "granted" and payload == "assess":  # the /start link the person came with
        await coop.assess(update, context)
    elif decision == "granted" and payload.startswith("join_"):
        await coop.join(update, context, payload[5:])
    return False


async def show_notice(update: Update, context: AdvisorContext) -> None:
    """/privacy: the full notice, the person's consent, and buttons to change it, see or delete."""
    notice = privacy.notice_of(context.kb)
    latest = context.user_data.get(CONSENT) if context.user_data is not None else None
    view = privacy_views.notice_view(
        context.kb, notice, context.lang, _values(context), status_of(context), latest
    )
    await send_view(update, context, view)


async def on_notice(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await show_notice(update, context)
    return False


# --- /mydata -----------------------------------------------------------------------------------------


async def my_data(update: Update, context: AdvisorContext) -> None:
    """/mydata: everything stored about the person as a JSON document, with a short summary."""
    user = update.effective_user
    data = await context.store.personal.of(user.id)
    if not privacy.holds_data(data):
        OUTCOME.set("mydata:empty")
        await send_view(update, context, context.text_view("mydata_empty"))
        return
    now = dt.datetime.now(VIETNAM)
    document = privacy.data_document(data, privacy.notice_of(context.kb), now)
    summary = views.ui_html(context.kb, "mydata_summary", context.lang, **privacy.data_summary(data))
    OUTCOME.set("mydata")
    await context.bot.send_document(
        update.effective_chat.id,
        document,
        filename=f"du-lieu-cua-toi-{now:%Y%m%d-%H%M}.json",
        caption=summary,
    )


async def on_my_data(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await my_data(update, context)
    return False


# --- /forget -------------------------------------------------------------------------------------------


async def _is_staff(context: AdvisorContext, user_id: int) -> bool:
    return (await access_of(context, user_id)).at_least(Role.OFFICER)


async def forget(update: Update, context: AdvisorContext) -> None:
    """/forget: what will be deleted, and a confirmation; nothing is deleted yet."""
    user = update.effective_user
    if await _is_staff(context, user.id):
        OUTCOME.set("forget:staff")
        await send_view(update, context, context.text_view("forget_staff"))
        return
    if not privacy.holds_data(await context.store.personal.of(user.id)):
        OUTCOME.set("forget:nothing")
        await send_view(update, context, context.text_view("forget_nothing"))
        return
    await send_view(update, context, privacy_views.forget_confirm_view(context.kb, context.lang))


async def on_forget(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """The steps of /forget: ask, confirm, (only member of a profile) keep or delete it, or stop."""
    step = args[0] if len(args) == 1 else ""
    if step not in ("ask", "go", "coop", "keep", "no"):
        return await invalid(update, context)
    if step == "ask":
        await forget(update, context)
        return False
    await clear_buttons(update)
    if step == "no":
        OUTCOME.set("forget:cancelled")
        await send_view(update, context, context.text_view("forget_cancelled"))
        return False
    user = update.effective_user
    if await _is_staff(context, user.id):
        await send_view(update, context, context.text_view("forget_staff"))
        return False
    if step == "go":
        sole = await context.store.personal.sole_coop(user.id)
        if sole is not None:
            await send_view(
                update, context, privacy_views.forget_coop_view(context.kb, context.lang, sole.name)
            )
            return False
    # what was queued behind earlier replies (their last question, their last visit) lands
    # first, so nothing written afterwards names them again
    await context.runtime.writes.drain(WRITES_WAIT_S)
    erasure = await context.store.personal.erase(user.id, delete_coop=step == "coop")
    lang = context.lang
    context.user_data.clear()
    context.user_data.update({"lang": lang, CONSENT: None, ASKED: True})
    OUTCOME.set("forget:done" + (":coop" if erasure.coop_deleted else ""))
    await send_view(update, context, context.text_view("forget_done"))
    return False


# --- retention -------------------------------------------------------------------------------------------


async def purge_forever(app: Application) -> None:
    """The daily retention purge of the running bot (the same as `advisor privacy purge`)."""
    rt = app.bot_data["runtime"]
    while True:
        try:
            purged = await privacy.purge(rt.require_store(), rt.settings)
            log.info(
                "retention purge: %d questions unlinked, %d delivery rows deleted",
                purged.questions_unlinked,
                purged.deliveries_deleted,
            )
        except StoreError as exc:
            log.warning("retention purge failed, trying again tomorrow: %s", exc)
        await asyncio.sleep(PURGE_EVERY_S)
