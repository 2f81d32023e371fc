"""Handlers for a cooperative's profile (/register, /profile, invites) and self-assessment.

Durable by design: the profile flow's state lives in the `flows` table and each answer is
written to the append-only log before the next question is shown, so a dropped connection
or a restart loses nothing. Buttons carry the assessment id and question id; the store
accepts an answer only for the current question, so double taps and old buttons are
harmless.
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Update

from advisor import coop_views, provinces
from advisor.assessment import Questionnaire, Result
from advisor.chart import pillar_chart
from advisor.kb.models import SECTORS
from advisor.records import Assessment, Coop
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, command_button, edit_view, send_view

log = logging.getLogger("advisor.bot")

PROFILE_FLOW = "profile"
REGISTER_STEPS = coop_views.PROFILE_FIELDS
MAX_NAME = 200
MAX_MEMBERS = 1_000_000


def invite_link(context: AdvisorContext, coop: Coop) -> str:
    return f"https://t.me/{context.bot.username}?start=join_{coop.invite_code}"


# --- profile: register, edit, join ------------------------------------------------------------


async def begin_profile(
    update: Update, context: AdvisorContext, steps: tuple[str, ...], then: str = ""
) -> None:
    """Start asking profile fields; `then` names what to open once the profile is saved."""
    user = update.effective_user
    await context.store.flows.set(user.id, PROFILE_FLOW, {"steps": list(steps), "data": {}, "then": then})
    await send_view(update, context, coop_views.prompt_view(context.runtime.kb, steps[0], context.lang))


async def register(update: Update, context: AdvisorContext) -> None:
    """/register: create the cooperative's profile, or show it if the user already has one."""
    OUTCOME.set("register")
    coop = await context.store.coops.of_user(update.effective_user.id)
    if coop is not None:
        await show_profile(update, context, coop)
        return
    await begin_profile(update, context, REGISTER_STEPS)


async def profile(update: Update, context: AdvisorContext) -> None:
    """/profile: the profile with edit buttons and the invite link."""
    OUTCOME.set("profile")
    coop = await context.store.coops.of_user(update.effective_user.id)
    if coop is None:
        await send_view(update, context, context.text_view("no_profile"))
        return
    await show_profile(update, context, coop)


async def show_profile(update: Update, context: AdvisorContext, coop: Coop, intro_key: str = "") -> None:
    view = coop_views.profile_view(
        context.runtime.kb, coop, invite_link(context, coop), context.lang, intro_key
    )
    await send_view(update, context, view)


async def join(update: Update, context: AdvisorContext, code: str) -> None:
    """/start join_<code>: link this member to the cooperative that shared the link."""
    coop = (
        await context.store.coops.join(update.effective_user.id, code)
        if re.fullmatch(r"[\w-]{1,32}", code)
        else None
    )
    OUTCOME.set("join:ok" if coop else "join:invalid")
    if coop is None:
        await send_view(update, context, context.text_view("join_invalid"))
        return
    await send_view(update, context, context.text_view("joined_coop", name=coop.name))


def parse_members(text: str) -> int | None:
    """ "25", "khoảng 30 thành viên", "1.200" -> a positive count; anything else -> None."""
    digits = re.findall(r"\d[\d.,]*", text)
    if len(digits) != 1:
        return None
    value = int(re.sub(r"[.,]", "", digits[0]))
    return value if 0 < value <= MAX_MEMBERS else None


async def profile_text(update: Update, context: AdvisorContext, state: dict) -> None:
    """A typed reply inside the profile flow: validate the current field, re-ask or go on."""
    field = state["steps"][0]
    text = " ".join((update.effective_message.text or "").split())
    kb, lang = context.runtime.kb, context.lang
    if field == "name":
        if not 1 <= len(text) <= MAX_NAME or text.startswith("/"):
            OUTCOME.set("profile:bad_name")
            await send_view(update, context, coop_views.prompt_view(kb, field, lang, "bad_name"))
            return
        await _next_field(update, context, state, text)
    elif field == "members":
        members = parse_members(text)
        if members is None:
            OUTCOME.set("profile:bad_members")
            await send_view(update, context, coop_views.prompt_view(kb, field, lang, "bad_members"))
            return
        await _next_field(update, context, state, members)
    elif field == "province":
        found = provinces.match(text)
        if found is None:
            OUTCOME.set("profile:bad_province")
            await send_view(update, context, coop_views.prompt_view(kb, field, lang, "bad_province"))
            return
        if found.old_name:
            await send_view(
                update,
                context,
                context.text_view("province_mapped", old=found.old_name, new=found.province),
            )
        await _next_field(update, context, state, found.province)
    else:
        OUTCOME.set("profile:expects_button")
        await send_view(update, context, coop_views.prompt_view(kb, field, lang, "choose_from_buttons"))


async def _next_field(update: Update, context: AdvisorContext, state: dict, value: str | int) -> None:
    """Keep the value, ask the next field, or save the profile when all are known."""
    store = context.store
    user_id = update.effective_user.id
    field, *rest = state["steps"]
    state["data"][field] = value
    if rest:
        state["steps"] = rest
        await store.flows.set(user_id, PROFILE_FLOW, state)
        OUTCOME.set(f"profile:{field}")
        await send_view(update, context, coop_views.prompt_view(context.runtime.kb, rest[0], context.lang))
        return
    await store.flows.end(user_id)
    coop = await store.coops.of_user(user_id)
    if coop is None:
        data = state["data"]
        coop = await store.coops.create(
            user_id, data["name"], data["province"], data["sector"], data["members"]
        )
        OUTCOME.set("profile:created")
        intro = "profile_created"
    else:
        await store.coops.update(coop.id, **state["data"])
        coop = await store.coops.get(coop.id)
        OUTCOME.set("profile:saved")
        intro = "profile_saved"
    if state.get("then") == "assess":
        await assess(update, context)
        return
    await show_profile(update, context, coop, intro)


async def _profile_flow(context: AdvisorContext, user_id: int) -> dict | None:
    flow = await context.store.flows.get(user_id)
    return flow[1] if flow and flow[0] == PROFILE_FLOW else None


async def on_sector(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    state = await _profile_flow(context, update.effective_user.id)
    if state is None or state["steps"][0] != "sector" or not args or args[0] not in SECTORS:
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await _next_field(update, context, state, args[0])
    return False


async def on_province(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    state = await _profile_flow(context, update.effective_user.id)
    index = int(args[0]) if args and args[0].isdigit() else -1
    if state is None or state["steps"][0] != "province" or not 0 <= index < len(provinces.PROVINCES):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await _next_field(update, context, state, provinces.PROVINCES[index])
    return False


async def on_province_page(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    page = int(args[0]) if args and args[0].isdigit() else 0
    await edit_view(update, context, coop_views.province_page_view(context.runtime.kb, page, context.lang))
    return False


async def on_profile_edit(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    if not args or args[0] not in REGISTER_STEPS:
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    if await context.store.coops.of_user(update.effective_user.id) is None:
        await send_view(update, context, context.text_view("no_profile"))
        return False
    await begin_profile(update, context, (args[0],))
    return False


# --- the self-assessment ---------------------------------------------------------------------------


def _questionnaire(context: AdvisorContext) -> Questionnaire:
    questionnaire = context.runtime.kb.assessment
    if questionnaire is None:
        raise RuntimeError("the knowledge base has no assessment.yaml")
    return questionnaire


async def assess(update: Update, context: AdvisorContext) -> None:
    """/assess: ask for a profile first; otherwise the intro (start, or resume where it stopped)."""
    store = context.store
    user_id = update.effective_user.id
    coop = await store.coops.of_user(user_id)
    if coop is None:
        OUTCOME.set("assess:need_profile")
        await send_view(update, context, context.text_view("need_profile", menu=False))
        await begin_profile(update, context, REGISTER_STEPS, then="assess")
        return
    open_one = await _current_open(update, context)
    OUTCOME.set("assess:intro")
    view = coop_views.intro_view(
        context.runtime.kb, _questionnaire(context), coop, context.lang, open_one is not None
    )
    await send_view(update, context, view)


async def _current_open(update: Update, context: AdvisorContext) -> Assessment | None:
    """The user's open assessment if it can continue; one on an older questionnaire is closed."""
    store = context.store
    open_one = await store.assessments.open_of(update.effective_user.id)
    if open_one is not None and open_one.version != _questionnaire(context).version:
        await store.assessments.abandon(open_one.id)
        await send_view(update, context, context.text_view("assess_updated", menu=False))
        return None
    return open_one


async def _owned_open(update: Update, context: AdvisorContext, raw_id: str) -> Assessment | None:
    """The assessment a button names, if it is this user's, still open, and on today's questions."""
    if not raw_id.isdigit():
        return None
    assessment = await context.store.assessments.get(int(raw_id))
    if assessment is None or assessment.user_id != update.effective_user.id or assessment.status != "open":
        return None
    if assessment.version != _questionnaire(context).version:
        await context.store.assessments.abandon(assessment.id)
        await send_view(update, context, context.text_view("assess_updated"))
        return None
    return assessment


async def _show_question(
    update: Update,
    context: AdvisorContext,
    assessment: Assessment,
    question_id: str,
    edit: bool,
    answers: dict[str, int] | None = None,
) -> None:
    """Show a question; `answers` saves a read when the caller has just loaded them."""
    questionnaire = _questionnaire(context)
    question = questionnaire.question(question_id)
    if answers is None:
        answers = await context.store.assessments.answers(assessment.id)
    view = coop_views.question_view(
        context.runtime.kb, questionnaire, assessment.id, question, answers, context.lang
    )
    await (edit_view if edit else send_view)(update, context, view)


async def on_assess(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """Buttons of the intro: "go" starts or resumes, "new" starts over; none: the intro."""
    if not args:
        await assess(update, context)
        return False
    store = context.store
    user_id = update.effective_user.id
    coop = await store.coops.of_user(user_id)
    if coop is None:
        await assess(update, context)
        return False
    open_one = await _current_open(update, context) if args[0] == "go" else None
    if open_one is None:
        first = _questionnaire(context).after(None, {})
        open_one = await store.assessments.start(user_id, coop.id, _questionnaire(context).version, first.id)
        OUTCOME.set(f"assess:start:{open_one.id}")
    else:
        OUTCOME.set(f"assess:resume:{open_one.id}")
    if open_one.current_question is None:
        await _finish(update, context, open_one)
    else:
        await _show_question(update, context, open_one, open_one.current_question, edit=False)
    return False


async def on_answer(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """An option button: log it (once), then show the next question or the result."""
    query = update.callback_query
    questionnaire = _questionnaire(context)
    assessment = await _owned_open(update, context, args[0]) if len(args) == 3 else None
    question = questionnaire.question(args[1]) if assessment else None
    option = int(args[2]) if question and args[2].isdigit() else -1
    if assessment is None or question is None or not 0 <= option < len(question.options):
        OUTCOME.set("assess:stale")
        await query.answer(context.ui("assess_stale"))
        return True
    answers = {**await context.store.assessments.answers(assessment.id), question.id: option}
    following = questionnaire.after(question.id, answers)
    recorded = await context.store.assessments.record_answer(
        assessment, question.id, option, question.options[option].score, following.id if following else None
    )
    if not recorded:
        OUTCOME.set("assess:double")
        await query.answer(context.ui("assess_stale"))
        return True
    OUTCOME.set(f"assess:answer:{assessment.id}:{question.id}:{option}")
    await query.answer(context.ui("assess_saving"))
    if following is not None:
        await _show_question(update, context, assessment, following.id, edit=True, answers=answers)
    else:
        await _finish(update, context, assessment)
    return True


async def on_back(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """◀ Back: the previous applicable question becomes current again (its answer can change)."""
    query = update.callback_query
    assessment = await _owned_open(update, context, args[0]) if len(args) == 2 else None
    if assessment is None or assessment.current_question != args[1]:
        OUTCOME.set("assess:stale")
        await query.answer(context.ui("assess_stale"))
        return True
    answers = await context.store.assessments.answers(assessment.id)
    previous = _questionnaire(context).before(args[1], answers)
    if previous is None:
        OUTCOME.set("assess:back:first")
        await query.answer(context.ui("assess_first"))
        return True
    if not await context.store.assessments.move_to(assessment.id, args[1], previous.id):
        await query.answer(context.ui("assess_stale"))
        return True
    OUTCOME.set(f"assess:back:{previous.id}")
    await _show_question(update, context, assessment, previous.id, edit=True, answers=answers)
    return False


async def on_pause(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """⏸ Pause: nothing to save (every answer already is); say how to come back."""
    assessment = await _owned_open(update, context, args[0]) if args else None
    if assessment is None or assessment.current_question is None:
        await update.callback_query.answer(context.ui("assess_stale"))
        return True
    answers = await context.store.assessments.answers(assessment.id)
    number, total = _questionnaire(context).progress(assessment.current_question, answers)
    OUTCOME.set(f"assess:pause:{assessment.id}")
    await edit_view(update, context, coop_views.paused_view(context.runtime.kb, number, total, context.lang))
    return False


async def _finish(update: Update, context: AdvisorContext, assessment: Assessment) -> None:
    """Score, store the result with its questionnaire version, send the result and the chart."""
    store = context.store
    questionnaire = _questionnaire(context)
    kb, lang = context.runtime.kb, context.lang
    result = questionnaire.score(await store.assessments.answers(assessment.id))
    await store.assessments.finish(
        assessment.id, result.overall, result.level.id, result.level.label("vi"), dict(result.pillar_scores)
    )
    past = await store.assessments.history(assessment.coop_id, limit=2)
    previous = next((a for a in past if a.id != assessment.id), None)
    OUTCOME.set(f"assess:done:{assessment.id}:{result.level.id}")
    await send_view(update, context, coop_views.result_view(kb, questionnaire, result, previous, lang))
    await send_chart(update, context, questionnaire, result, previous)


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
    OUTCOME.set("history")
    if coop is None:
        await send_view(update, context, context.text_view("no_profile"))
        return
    past = await context.store.assessments.history(coop.id)
    await send_view(update, context, coop_views.history_view(context.runtime.kb, coop, past, context.lang))


BUTTONS = {
    "sec": on_sector,
    "prv": on_province,
    "prp": on_province_page,
    "pe": on_profile_edit,
    "as": on_assess,
    "a": on_answer,
    "ab": on_back,
    "ap": on_pause,
    "hist": command_button(history),
}
VERSIONLESS = frozenset({"a", "ab", "ap"})
"""Buttons checked against the assessment's own questionnaire version, not the whole
knowledge base's: an FAQ edit must not interrupt someone halfway through the questions."""
