"""Handlers for a cooperative's profile (/register, /profile, invites) and self-assessment.

Thin by design: the rules are in `advisor.profiles` and `advisor.assessment_session`
(durable flows, the append-only answer log, double taps and old buttons harmless); these
handlers decode the tap or text, call them, and show the step that comes back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import BadRequest, NetworkError, TimedOut

from advisor import coop_views
from advisor.assessment import Questionnaire, Result
from advisor.assessment_session import Step
from advisor.chart import pillar_chart
from advisor.profiles import FIELDS, ProfileDraft, looks_like_question, read_button, read_field
from advisor.records import Assessment, Coop
from advisor.telegram.asking import answer
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, clear_buttons, edit_view, send_view

log = logging.getLogger("advisor.bot")


def invite_link(context: AdvisorContext, coop: Coop) -> str:
    return f"https://t.me/{context.bot.username}?start=join_{coop.invite_code}"


# --- profile: register, edit, join ------------------------------------------------------------


async def begin_profile(
    update: Update, context: AdvisorContext, steps: tuple[str, ...] = FIELDS, then: str = ""
) -> None:
    """Start asking profile fields; `then` names what to open once the profile is saved."""
    draft = await context.profiles.begin(update.effective_user.id, steps, then)
    await send_view(update, context, coop_views.prompt_view(context.kb, draft.asking, context.lang))


async def register(update: Update, context: AdvisorContext) -> None:
    """/register: create the cooperative's profile, or show it if the user already has one."""
    coop = await context.store.coops.of_user(update.effective_user.id)
    if coop is not None:
        await show_profile(update, context, coop)
        return
    await begin_profile(update, context)


async def profile(update: Update, context: AdvisorContext) -> None:
    """/profile: the profile with edit buttons and the invite link."""
    coop = await context.store.coops.of_user(update.effective_user.id)
    if coop is None:
        await send_view(update, context, context.text_view("no_profile"))
        return
    await show_profile(update, context, coop)


async def show_profile(update: Update, context: AdvisorContext, coop: Coop, intro_key: str = "") -> None:
    view = coop_views.profile_view(context.kb, coop, invite_link(context, coop), context.lang, intro_key)
    await send_view(update, context, view)


async def join(update: Update, context: AdvisorContext, code: str) -> None:
    """/start join_<code>: link this member to the cooperative that shared the link."""
    coop = await context.profiles.join(update.effective_user.id, code)
    OUTCOME.set("join:ok" if coop else "join:invalid")
    if coop is None:
        await send_view(update, context, context.text_view("join_invalid"))
        return
    await send_view(update, context, context.text_view("joined_coop", name=coop.name))


async def profile_text(update: Update, context: AdvisorContext, state: dict) -> None:
    """A typed reply inside the profile flow: validate the current field, re-ask or go on."""
    draft = ProfileDraft.from_state(state)
    reply = read_field(draft.asking, update.effective_message.text or "")
    if reply.problem is not None:
        OUTCOME.set(
            "profile:expects_button" if reply.problem == "choose_from_buttons" else f"profile:{reply.problem}"
        )
        view = coop_views.prompt_view(context.kb, draft.asking, context.lang, reply.problem)
        await send_view(update, context, view)
        return
    if draft.asking == "name" and looks_like_question(str(reply.value)):
        draft.pending = str(reply.value)
        await context.profiles.keep(update.effective_user.id, draft)
        OUTCOME.set("profile:name_or_question")
        await send_view(
            update, context, coop_views.name_or_question_view(context.kb, draft.pending, context.lang)
        )
        return
    if reply.old_province:
        view = context.text_view("province_mapped", old=reply.old_province, new=str(reply.value))
        await send_view(update, context, view)
    await _give(update, context, draft, reply.value)


async def _give(update: Update, context: AdvisorContext, draft: ProfileDraft, value: str | int) -> None:
    """Keep the value, ask the next field, or save the profile when all are known."""
    asked = draft.asking
    outcome = await context.profiles.give(update.effective_user.id, draft, value)
    if isinstance(outcome, ProfileDraft):
        OUTCOME.set(f"profile:{asked}")
        await send_view(update, context, coop_views.prompt_view(context.kb, outcome.asking, context.lang))
        return
    OUTCOME.set("profile:created" if outcome.created else "profile:saved")
    if draft.then == "assess":
        await assess(update, context)
        return
    await show_profile(
        update, context, outcome.coop, "profile_created" if outcome.created else "profile_saved"
    )


async def _on_pick(update: Update, context: AdvisorContext, field: str, raw: str) -> bool:
    """A sector or province button inside the profile flow."""
    draft = await context.profiles.draft(update.effective_user.id)
    value = read_button(field, raw) if draft is not None and draft.asking == field else None
    if value is None:
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await _give(update, context, draft, value)
    return False


async def on_name_or_question(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """The member says whether the question-like reply was the name, or a question to answer."""
    user_id = update.effective_user.id
    draft = await context.profiles.draft(user_id)
    if draft is None or not draft.pending or args not in (("yes",), ("no",)):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await clear_buttons(update)
    if args[0] == "yes":
        await _give(update, context, draft, draft.pending)
    else:
        await context.leave_flow(user_id)
        await answer(update, context, draft.pending)
    return False


async def on_sector(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    return await _on_pick(update, context, "sector", args[0] if args else "")


async def on_province(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    return await _on_pick(update, context, "province", args[0] if args else "")


async def on_province_page(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    page = int(args[0]) if args and args[0].isdigit() else 0
    await edit_view(update, context, coop_views.province_page_view(context.kb, page, context.lang))
    return False


async def on_profile_edit(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    if not args or args[0] not in FIELDS:
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    if await context.store.coops.of_user(update.effective_user.id) is None:
        await send_view(update, context, context.text_view("no_profile"))
        return False
    await begin_profile(update, context, (args[0],))
    return False


# --- the self-assessment ---------------------------------------------------------------------------


async def assess(update: Update, context: AdvisorContext) -> None:
    """/assess: ask for a profile first; otherwise the intro (start, or resume where it stopped)."""
    coop = await context.store.coops.of_user(update.effective_user.id)
    if coop is None:
        OUTCOME.set("assess:need_profile")
        await send_view(update, context, context.text_view("need_profile", menu=False))
        await begin_profile(update, context, then="assess")
        return
    sessions = context.sessions
    open_one, updated = await sessions.current(update.effective_user.id)
    if updated:
        await send_view(update, context, context.text_view("assess_updated", menu=False))
    OUTCOME.set("assess:intro")
    last = await sessions.last_result(coop)
    view = coop_views.intro_view(
        context.kb, sessions.questionnaire, coop, context.lang, open_one is not None, last
    )
    await send_view(update, context, view)


async def on_result(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """📊: a stored result shown again in full, with its chart."""
    step = await context.sessions.stored_result(update.effective_user.id, args[0]) if args else None
    if step is None:
        return await _refuse(update, context, Step("stale"))
    OUTCOME.set(f"assess:result:{step.assessment.id}")
    await _show(update, context, step, edit=False)
    return False


async def _show(update: Update, context: AdvisorContext, step: Step, edit: bool) -> None:
    """The next question (edited in place after a tap) or the result and its chart."""
    if step.updated:
        await send_view(update, context, context.text_view("assess_updated", menu=False))
    questionnaire = context.sessions.questionnaire
    if step.kind == "finished":
        if edit:  # the last question's buttons would answer an assessment that is over
            await clear_buttons(update)
        view = coop_views.result_view(context.kb, questionnaire, step.result, step.previous, context.lang)
        await _retried(lambda: send_view(update, context, view))
        await _retried(lambda: send_chart(update, context, questionnaire, step.result, step.previous))
        return
    view = coop_views.question_view(
        context.kb, questionnaire, step.assessment.id, step.question, step.answers, context.lang
    )
    await (edit_view if edit else send_view)(update, context, view)


RESULT_ATTEMPTS = 3
RESULT_RETRY_S = 1.0


async def _retried(send: Callable[[], Awaitable[object]]) -> None:
    """A result is worth a second try when Telegram failed to take it (5xx, timeout); if it
    still fails, it stays one tap away ("📊" under /assess and /history)."""
    for attempt in range(1, RESULT_ATTEMPTS + 1):
        try:
            await send()
            return
        except (TimedOut, NetworkError) as exc:
            if isinstance(exc, BadRequest) or attempt == RESULT_ATTEMPTS:
                raise
            log.warning("sending a result failed (attempt %d), retrying: %s", attempt, exc)
            await asyncio.sleep(RESULT_RETRY_S * attempt)


async def on_assess(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """Buttons of the intro: "go" starts or resumes, "new" starts over; none: the intro."""
    coop = await context.store.coops.of_user(update.effective_user.id) if args else None
    if coop is None:
        await assess(update, context)
        return False
    step = await context.sessions.begin(update.effective_user.id, coop, resume=args[0] == "go")
    OUTCOME.set(f"assess:begin:{step.assessment.id}")
    await _show(update, context, step, edit=False)
    return False


async def _refuse(update: Update, context: AdvisorContext, step: Step) -> bool:
    """A tap the walk did not accept: say so in the button's notice (and why, when known)."""
    if step.updated:
        await send_view(update, context, context.text_view("assess_updated"))
    OUTCOME.set(f"assess:{step.kind}")
    await update.callback_query.answer(context.ui("assess_first" if step.kind == "first" else "assess_stale"))
    return True


async def on_answer(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """An option button: log it (once), then show the next question or the result."""
    if len(args) != 3:
        return await _refuse(update, context, Step("stale"))
    step = await context.sessions.answer(update.effective_user.id, *args)
    if step.kind not in ("question", "finished"):
        return await _refuse(update, context, step)
    done = f"assess:done:{args[0]}:{step.result.level.id}" if step.kind == "finished" else ""
    OUTCOME.set(done or f"assess:answer:{args[0]}:{args[1]}:{args[2]}")
    await update.callback_query.answer(context.ui("assess_saving"))
    await _show(update, context, step, edit=True)
    return True


async def on_back(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """◀ Back: the previous applicable question becomes current again (its answer can change)."""
    step = await context.sessions.back(update.effective_user.id, *args) if len(args) == 2 else Step("stale")
    if step.kind != "question":
        return await _refuse(update, context, step)
    OUTCOME.set(f"assess:back:{step.question.id}")
    await _show(update, context, step, edit=True)
    return False


async def on_pause(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """⏸ Pause: nothing to save (every answer already is); say how to come back."""
    where = await context.sessions.progress(update.effective_user.id, args[0]) if args else None
    if where is None:
        return await _refuse(update, context, Step("stale"))
    OUTCOME.set(f"assess:pause:{args[0]}")
    await edit_view(update, context, coop_views.paused_view(context.kb, *where, context.lang))
    return False


async def send_chart(
    update: Update,
    context: AdvisorContext,
    questionnaire: Questionnaire,
    result: Result,
    previous: Assessment | None,
) -> None:
    """The per-pillar chart as a photo, drawn in the chart process (never on the event loop)."""
    kb, lang = context.runtime.kb, context.lang
    pillars = questionnaire.pillars
    before = [previous.pillar_scores.get(p.id, 0.0) for p in pillars] if previous else None
    png = await asyncio.get_running_loop().run_in_executor(
        context.runtime.chart_pool(),
        pillar_chart,
        kb.ui.get("chart_title", lang),
        [p.name(lang) for p in pillars],
        [result.pillar_scores[p.id] for p in pillars],
        before,
        kb.ui.get("chart_previous", lang),
        kb.ui.get("chart_current", lang),
    )
    coop = await context.store.coops.of_user(update.effective_user.id)
    caption = kb.ui.get(
        "chart_caption",
        lang,
        name=coop.name if coop else "",
        level=str(result.level.id),
        level_name=result.level.label(lang),
        score=f"{result.overall:.0f}",
    )
    await context.bot.send_photo(update.effective_chat.id, png, caption=caption[:1024])


async def history(update: Update, context: AdvisorContext) -> None:
    """/history: the cooperative's past results, newest first."""
    coop = await context.store.coops.of_user(update.effective_user.id)
    if coop is None:
        await send_view(update, context, context.text_view("no_profile"))
        return
    past = await context.store.assessments.history(coop.id)
    await send_view(update, context, coop_views.history_view(context.runtime.kb, coop, past, context.lang))
