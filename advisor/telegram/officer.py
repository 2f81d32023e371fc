"""Handlers for extension officers and admins: roles, broadcasts, reload, gaps, stats, export.

Every command and button here checks the user's role on the server (`_allowed`), whatever
the button's data says. Officers tied to a province only reach that province's
cooperatives. Privileged actions are written to the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from functools import partial

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from advisor import coop_views, gaps, markup, provinces
from advisor.broadcast import Outcome, eta_seconds
from advisor.coop_views import VIETNAM
from advisor.kb.models import SECTORS, KnowledgeBase
from advisor.roles import Access, Role, access
from advisor.store import Audience, Broadcast
from advisor.telegram.context import AdvisorContext
from advisor.telegram.ratelimit import NO_RETRY
from advisor.telegram.replies import OUTCOME, edit_view, send_view
from advisor.views import Button, View, menu_row, ui_html

log = logging.getLogger("advisor.bot")

BROADCAST_FLOW = "broadcast"
MAX_NOTICE = 3500
MAX_SCHEDULE_DAYS = 60
OFFICER_EXPORTS = ("cooperatives", "assessments", "results")
ADMIN_EXPORTS = ("questions", "feedback", "users", "deliveries", "audit", "gaps", *OFFICER_EXPORTS)


async def access_of(context: AdvisorContext, user_id: int) -> Access:
    return access(user_id, context.runtime.settings, await context.store.grant_of(user_id))


async def _allowed(update: Update, context: AdvisorContext, role: Role) -> Access | None:
    """The caller's access if it reaches `role`; otherwise a polite refusal and None."""
    user = update.effective_user
    granted = await access_of(context, user.id) if user else Access(Role.MEMBER)
    if granted.at_least(role):
        return granted
    OUTCOME.set("refused")
    if update.callback_query is not None:
        await update.callback_query.answer(context.ui("not_allowed"), show_alert=True)
    else:
        await send_view(update, context, context.text_view("not_allowed"))
    return None


# --- roles -----------------------------------------------------------------------------------


async def _target(context: AdvisorContext, who: str) -> int | None:
    if re.fullmatch(r"\d{1,15}", who):
        return int(who)
    user = await context.store.user_by_username(who) if who.startswith("@") else None
    return user.id if user else None


async def grant(update: Update, context: AdvisorContext) -> None:
    """/grant <id|@username> officer [province] | admin"""
    admin = await _allowed(update, context, Role.ADMIN)
    if admin is None:
        return
    args = context.args or []
    if len(args) < 2 or args[1].lower() not in ("officer", "admin"):
        await send_view(update, context, context.text_view("grant_usage"))
        return
    user_id = await _target(context, args[0])
    if user_id is None:
        await send_view(update, context, context.text_view("user_unknown", who=args[0][:40]))
        return
    role = args[1].lower()
    province = None
    if role == "officer" and len(args) > 2:
        found = provinces.match(" ".join(args[2:]))
        if found is None:
            await send_view(update, context, context.text_view("bad_province"))
            return
        province = found.province
    await context.store.grant(user_id, role, province, update.effective_user.id)
    await context.store.audit(
        update.effective_user.id, "grant", f"{user_id} {role} {province or ''}".strip()
    )
    OUTCOME.set(f"grant:{user_id}:{role}")
    scope = " " + context.ui("broadcast_scope", province=province) if province else ""
    await send_view(update, context, context.text_view("granted", role=role, who=args[0], scope=scope))
    await context.runtime.role_menu(user_id, Role.ADMIN if role == "admin" else Role.OFFICER)


async def revoke(update: Update, context: AdvisorContext) -> None:
    """/revoke <id|@username>"""
    if await _allowed(update, context, Role.ADMIN) is None:
        return
    args = context.args or []
    if len(args) != 1:
        await send_view(update, context, context.text_view("revoke_usage"))
        return
    user_id = await _target(context, args[0])
    if user_id is None or not await context.store.revoke(user_id):
        await send_view(update, context, context.text_view("nothing_to_revoke", who=args[0][:40]))
        return
    await context.store.audit(update.effective_user.id, "revoke", str(user_id))
    OUTCOME.set(f"revoke:{user_id}")
    await send_view(update, context, context.text_view("revoked", who=args[0]))
    await context.runtime.role_menu(user_id, Role.MEMBER)


# --- subscriptions -------------------------------------------------------------------------


async def subscribe(update: Update, context: AdvisorContext) -> None:
    await context.store.set_subscribed(update.effective_user.id, True)
    OUTCOME.set("subscribe")
    await send_view(update, context, context.text_view("subscribed"))


async def unsubscribe(update: Update, context: AdvisorContext) -> None:
    await context.store.set_subscribed(update.effective_user.id, False)
    OUTCOME.set("unsubscribe")
    await send_view(update, context, context.text_view("unsubscribed"))


async def chat_member(update: Update, context: AdvisorContext) -> None:
    """A user blocked (kicked) or unblocked the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    await context.store.mark_blocked(change.chat.id, blocked)
    OUTCOME.set("blocked" if blocked else "unblocked")


# --- composing a broadcast -------------------------------------------------------------------


def _audience(state: dict, scope: str | None) -> Audience:
    return Audience(
        frozenset(state.get("provinces", ())),
        frozenset(state.get("sectors", ())),
        frozenset(state.get("levels", ())),
        bool(state.get("not_assessed")),
        scope,
    )


async def broadcast(update: Update, context: AdvisorContext) -> None:
    """/broadcast: write the notice first; the audience, preview and confirm follow."""
    if await _allowed(update, context, Role.OFFICER) is None:
        return
    await context.store.set_flow(update.effective_user.id, BROADCAST_FLOW, {"step": "text"})
    OUTCOME.set("broadcast:write")
    await send_view(update, context, context.text_view("broadcast_write", menu=False))


async def broadcast_text(update: Update, context: AdvisorContext, state: dict) -> None:
    """A typed reply in the broadcast flow: the notice, or the time to schedule it."""
    granted = await _allowed(update, context, Role.OFFICER)
    if granted is None:
        await context.store.end_flow(update.effective_user.id)
        return
    text = (update.effective_message.text or "").strip()
    if state.get("step") == "time":
        await _schedule_time(update, context, state, granted, text)
        return
    rendered = markup.render(text)
    problems = [error.message for error in rendered.errors]
    if markup.visible_length(markup.html_visible_text(rendered.html)) > MAX_NOTICE:
        problems.append(f"over {MAX_NOTICE} characters")
    if not text or problems:
        OUTCOME.set("broadcast:bad_text")
        await send_view(
            update,
            context,
            context.text_view("broadcast_bad_text", menu=False, problems="; ".join(problems[:3])),
        )
        return
    state.update(step="audience", text=text, html=rendered.html)
    await context.store.set_flow(update.effective_user.id, BROADCAST_FLOW, state)
    OUTCOME.set("broadcast:audience")
    await send_view(update, context, await _audience_view(context, state, granted))


async def _audience_view(context: AdvisorContext, state: dict, granted: Access) -> View:
    kb, lang = context.runtime.kb, context.lang
    count = len(await context.store.recipients(_audience(state, granted.scope)))
    scope = " " + context.ui("broadcast_scope", province=granted.scope) if granted.scope else ""
    chosen_sectors, chosen_levels = set(state.get("sectors", ())), set(state.get("levels", ()))

    def mark(on: bool, label: str) -> str:
        return ("✅ " if on else "") + label

    rows: list[tuple[Button, ...]] = []
    sector_buttons = [
        Button(mark(s in chosen_sectors, kb.ui.get(f"sector_{s}", lang)), ("bs", s)) for s in SECTORS
    ]
    rows.extend(tuple(sector_buttons[i : i + 2]) for i in range(0, len(sector_buttons), 2))
    levels = kb.assessment.levels if kb.assessment else ()
    rows.append(
        tuple(
            Button(
                mark(level.id in chosen_levels, context.ui("audience_level", level=str(level.id))),
                ("bl", str(level.id)),
            )
            for level in levels
        )
    )
    rows.append(
        (Button(mark(bool(state.get("not_assessed")), context.ui("audience_not_assessed")), ("bn",)),)
    )
    if granted.scope is None:
        label = context.ui("audience_provinces")
        if state.get("provinces"):
            label += f" ({len(state['provinces'])})"
        rows.append((Button(label, ("bpp", "0")),))
    rows.append(
        (
            Button(context.ui("broadcast_preview_button"), ("bv",)),
            Button(context.ui("broadcast_cancel"), ("bx",)),
        )
    )
    chosen_provinces = ", ".join(state.get("provinces", ()))
    html = ui_html(kb, "broadcast_audience", lang, scope=scope, count=str(count))
    if chosen_provinces:
        html += "\n📍 " + markup.escape(chosen_provinces)
    return View((html,), tuple(rows))


def _province_toggle_view(context: AdvisorContext, state: dict, page: int) -> View:
    return coop_views.province_page_view(
        context.runtime.kb,
        page,
        context.lang,
        pick="bp",
        turn="bpp",
        chosen=frozenset(state.get("provinces", ())),
        done=Button(context.ui("audience_done"), ("ba",)),
    )


async def _flow_state(update: Update, context: AdvisorContext) -> tuple[Access, dict] | None:
    """The caller's broadcast draft, if they are (still) allowed to broadcast and have one."""
    granted = await _allowed(update, context, Role.OFFICER)
    if granted is None:
        return None
    flow = await context.store.flow(update.effective_user.id)
    if flow is None or flow[0] != BROADCAST_FLOW or "text" not in flow[1]:
        await update.callback_query.answer(context.ui("button_invalid"))
        return None
    return granted, flow[1]


async def on_audience(
    update: Update, context: AdvisorContext, args: tuple[str, ...], action: str
) -> bool:
    """Toggles of the audience (bs/bl/bn/bp), province pages (bpp) and back to the audience (ba)."""
    found = await _flow_state(update, context)
    if found is None:
        return True
    granted, state = found
    if action == "bs" and args and args[0] in SECTORS:
        _toggle(state, "sectors", args[0])
    elif action == "bl" and args and args[0].isdigit():
        _toggle(state, "levels", int(args[0]))
    elif action == "bn":
        state["not_assessed"] = not state.get("not_assessed")
    elif action == "bp" and granted.scope is None and args and args[0].isdigit():
        index = int(args[0])
        if 0 <= index < len(provinces.PROVINCES):
            _toggle(state, "provinces", provinces.PROVINCES[index])
        await context.store.set_flow(update.effective_user.id, BROADCAST_FLOW, state)
        page = int(args[1]) if len(args) > 1 and args[1].isdigit() else 0
        await edit_view(update, context, _province_toggle_view(context, state, page))
        return False
    elif action == "bpp" and granted.scope is None:
        page = int(args[0]) if args and args[0].lstrip("-").isdigit() else 0
        await edit_view(update, context, _province_toggle_view(context, state, page))
        return False
    state["step"] = "audience"
    await context.store.set_flow(update.effective_user.id, BROADCAST_FLOW, state)
    await edit_view(update, context, await _audience_view(context, state, granted))
    return False


def _toggle(state: dict, key: str, value: str | int) -> None:
    values = list(state.get(key, ()))
    state[key] = [v for v in values if v != value] if value in values else [*values, value]


def _format_time(stamp: str) -> str:
    return dt.datetime.fromisoformat(stamp).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


async def on_preview(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """👁: the notice exactly as recipients will see it, then the count and Send / Schedule."""
    found = await _flow_state(update, context)
    if found is None:
        return True
    granted, state = found
    count = len(await context.store.recipients(_audience(state, granted.scope)))
    if count == 0:
        await update.callback_query.answer(context.ui("broadcast_nobody"), show_alert=True)
        return True
    await context.bot.send_message(update.effective_chat.id, state["html"])
    when = (
        " " + context.ui("broadcast_when", time=_format_time(state["send_at"]))
        if state.get("send_at")
        else ""
    )
    rows = (
        (Button(context.ui("broadcast_send"), ("bk",)), Button(context.ui("broadcast_schedule"), ("bt",))),
        (
            Button(context.ui("broadcast_edit_audience"), ("ba",)),
            Button(context.ui("broadcast_cancel"), ("bx",)),
        ),
    )
    html = ui_html(context.runtime.kb, "broadcast_preview", context.lang, count=str(count), when=when)
    OUTCOME.set(f"broadcast:preview:{count}")
    await send_view(update, context, View((html,), rows))
    return False


async def on_schedule(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    found = await _flow_state(update, context)
    if found is None:
        return True
    state = found[1]
    state["step"] = "time"
    await context.store.set_flow(update.effective_user.id, BROADCAST_FLOW, state)
    await send_view(update, context, context.text_view("broadcast_ask_time", menu=False))
    return False


def parse_time(text: str, now: dt.datetime) -> dt.datetime | None:
    """ "25/12/2026 08:00" (Vietnam time) -> an aware datetime in the next 60 days, or None."""
    match = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s+(\d{1,2})[:h](\d{2})\s*", text)
    if not match:
        return None
    day, month, year, hour, minute = (int(g) for g in match.groups())
    try:
        when = dt.datetime(year, month, day, hour, minute, tzinfo=VIETNAM)
    except ValueError:
        return None
    return when if now < when <= now + dt.timedelta(days=MAX_SCHEDULE_DAYS) else None


async def _schedule_time(
    update: Update, context: AdvisorContext, state: dict, granted: Access, text: str
) -> None:
    when = parse_time(text, dt.datetime.now(dt.UTC))
    if when is None:
        OUTCOME.set("broadcast:bad_time")
        await send_view(update, context, context.text_view("broadcast_bad_time", menu=False))
        return
    state.update(step="audience", send_at=when.astimezone(dt.UTC).isoformat(timespec="seconds"))
    await context.store.set_flow(update.effective_user.id, BROADCAST_FLOW, state)
    count = len(await context.store.recipients(_audience(state, granted.scope)))
    when_text = " " + context.ui("broadcast_when", time=when.strftime("%d/%m/%Y %H:%M"))
    rows = (
        (Button(context.ui("broadcast_send"), ("bk",)), Button(context.ui("broadcast_cancel"), ("bx",))),
    )
    html = ui_html(
        context.runtime.kb, "broadcast_preview", context.lang, count=str(count), when=when_text
    )
    await send_view(update, context, View((html,), rows))


async def on_confirm(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    """✅: write the broadcast, its recipients and delivery rows in one transaction, then send."""
    found = await _flow_state(update, context)
    if found is None:
        return True
    granted, state = found
    store = context.store
    user_id = update.effective_user.id
    created, count = await store.create_broadcast(
        user_id,
        update.effective_chat.id,
        state["text"],
        state["html"],
        _audience(state, granted.scope),
        state.get("send_at"),
    )
    await store.end_flow(user_id)
    await store.audit(user_id, "broadcast", f"#{created.id} to {count}")
    OUTCOME.set(f"broadcast:confirm:{created.id}:{count}")
    await update.callback_query.answer()
    if created.status == "scheduled":
        time = _format_time(created.send_at)
        await send_view(
            update,
            context,
            context.text_view("broadcast_scheduled", id=str(created.id), count=str(count), time=time),
        )
    else:
        message = await send_view(
            update,
            context,
            View(
                (
                    markup.escape(
                        progress_text(context.runtime.kb, created, {"pending": count}, context.lang)
                    ),
                )
            ),
        )
        if message is not None:
            await store.set_progress_message(created.id, message.message_id)
    sender = context.runtime.sender
    if sender is not None:
        sender.wake()
    return True


async def on_discard(update: Update, context: AdvisorContext, args: tuple[str, ...]) -> bool:
    await context.store.end_flow(update.effective_user.id)
    OUTCOME.set("broadcast:discard")
    await edit_view(update, context, context.text_view("broadcast_cancelled"))
    return False


# --- following broadcasts --------------------------------------------------------------------


def progress_text(
    kb: KnowledgeBase, broadcast: Broadcast, counts: dict[str, int], lang: str, rate: float = 25.0
) -> str:
    left = counts.get("pending", 0) + counts.get("sending", 0)
    values = {key: str(counts.get(key, 0)) for key in ("sent", "blocked", "failed", "unknown")}
    if broadcast.status in ("done", "cancelled"):
        total = sum(counts.values())
        status = kb.ui.get(f"status_{broadcast.status}", lang)
        return kb.ui.get(
            "broadcast_report", lang, id=str(broadcast.id), status=status, total=str(total), **values
        )
    eta = " " + kb.ui.get("broadcast_eta", lang, seconds=str(round(eta_seconds(left, rate)))) if left else ""
    return kb.ui.get("broadcast_progress", lang, id=str(broadcast.id), left=str(left), eta=eta, **values)


async def broadcasts(update: Update, context: AdvisorContext) -> None:
    """/broadcasts: recent notices with their figures; running or scheduled ones can be cancelled."""
    granted = await _allowed(update, context, Role.OFFICER)
    if granted is None:
        return
    store = context.store
    author = None if granted.role == Role.ADMIN else update.effective_user.id
    recent = await store.broadcasts(limit=10, author_id=author)
    kb, lang = context.runtime.kb, context.lang
    lines, rows = [], []
    for item in recent:
        counts = await store.delivery_counts(item.id)
        preview = markup.html_visible_text(item.html).replace("\n", " ")[:40]
        lines.append(
            markup.escape(
                kb.ui.get(
                    "broadcast_line",
                    lang,
                    id=str(item.id),
                    time=_format_time(item.send_at),
                    status=kb.ui.get(f"status_{item.status}", lang),
                    sent=str(counts.get("sent", 0)),
                    total=str(sum(counts.values())),
                    preview=preview,
                )
            )
        )
        if item.status in ("scheduled", "sending"):
            rows.append((Button(kb.ui.get("broadcast_stop", lang, id=str(item.id)), ("bc", str(item.id))),))
    rows.append(menu_row(kb, lang))
    body = "\n".join(lines) if lines else ui_html(kb, "broadcasts_empty", lang)
    OUTCOME.set("broadcasts")
    await send_view(update, context, View((ui_html(kb, "broadcasts_title", lang), body), tuple(rows)))


async def on_cancel_broadcast(
    update: Update, context: AdvisorContext, args: tuple[str, ...]
) -> bool:
    granted = await _allowed(update, context, Role.OFFICER)
    if granted is None:
        return True
    store = context.store
    item = await store.broadcast(int(args[0])) if args and args[0].isdigit() else None
    mine = item is not None and (granted.role == Role.ADMIN or item.author_id == update.effective_user.id)
    if not mine or not await store.cancel_broadcast(item.id):
        await update.callback_query.answer(context.ui("button_invalid"))
        return True
    await store.audit(update.effective_user.id, "broadcast_cancel", f"#{item.id}")
    OUTCOME.set(f"broadcast:cancel:{item.id}")
    await update.callback_query.answer(context.ui("broadcast_cancelled"))
    await broadcasts(update, context)
    return True


# --- the sender's side: sending one notice and reporting progress -----------------------------------


def telegram_sender(app: Application):
    """send(chat_id, html) for the core sender: Telegram's answers turned into Outcomes."""

    async def send(chat_id: int, html: str) -> Outcome:
        try:
            message = await app.bot.send_message(
                chat_id,
                html,
                rate_limit_args=NO_RETRY,
            )
        except RetryAfter as exc:
            retry = exc.retry_after
            return Outcome(
                "retry", retry_after=retry.total_seconds() if isinstance(retry, dt.timedelta) else retry
            )
        except Forbidden as exc:
            return Outcome("blocked", error=str(exc))
        except BadRequest as exc:  # a subclass of NetworkError, but Telegram did answer
            return Outcome("failed", error=str(exc))
        except (TimedOut, NetworkError) as exc:  # the request may have reached Telegram
            return Outcome("unknown", error=str(exc))
        except TelegramError as exc:
            return Outcome("failed", error=str(exc))
        return Outcome("sent", message_id=message.message_id)

    return send


def progress_reporter(app: Application):
    """Edit the officer's progress message as the broadcast goes, ending with the report."""

    async def report(broadcast: Broadcast, counts: dict[str, int], finished: bool) -> None:
        rt = app.bot_data["runtime"]
        author = await rt.require_store().get_user(broadcast.author_id)
        lang = author.language if author else "vi"
        text = progress_text(rt.kb, broadcast, counts, lang, rt.settings.broadcast_rate)
        try:
            if broadcast.progress_message_id:
                await app.bot.edit_message_text(text, broadcast.author_chat, broadcast.progress_message_id)
            elif finished:
                await app.bot.send_message(broadcast.author_chat, text)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    return report


# --- admin tools: reload, gaps, stats, export --------------------------------------------------


async def reload(update: Update, context: AdvisorContext) -> None:
    """/reload: validate the knowledge folder; swap it in only if it has no errors."""
    if await _allowed(update, context, Role.ADMIN) is None:
        return
    rt = context.runtime
    changes, problems = await rt.reload()
    await context.store.audit(
        update.effective_user.id, "reload", "ok" if changes else f"{len(problems)} errors"
    )
    kb, lang = rt.kb, context.lang
    if changes is None:
        OUTCOME.set(f"reload:failed:{len(problems)}")
        # one <code> block per problem: a long list is split between paragraphs, never inside a tag
        listing = tuple(f"<code>{markup.escape(str(p)[:1000])}</code>" for p in problems[:40])
        header = ui_html(kb, "reload_failed", lang, count=str(len(problems)))
        await send_view(update, context, View((header, *listing)))
        return
    OUTCOME.set("reload:ok")
    assessment = "; " + kb.ui.get("reload_assessment", lang) if changes.assessment_changed else ""
    parts = [
        ui_html(
            kb,
            "reload_ok",
            lang,
            version=kb.version,
            added=str(len(changes.added)),
            removed=str(len(changes.removed)),
            edited=str(len(changes.edited)),
            assessment=assessment,
        )
    ]
    for label, ids in (("+", changes.added), ("−", changes.removed), ("✎", changes.edited)):
        if ids:
            parts.append(markup.escape(f"{label} " + ", ".join(ids[:30])))
    await send_view(update, context, View(tuple(parts)))


async def gaps_command(update: Update, context: AdvisorContext) -> None:
    """/gaps: the curators' to-do list: grouped unanswered questions and 👎 answers."""
    if await _allowed(update, context, Role.ADMIN) is None:
        return
    store = context.store
    kb, lang = context.runtime.kb, context.lang
    groups = gaps.group(await store.declined_questions())
    paragraphs = [ui_html(kb, "gaps_title", lang)]
    if not groups:
        paragraphs.append(ui_html(kb, "gaps_empty", lang))
    for gap in groups:
        examples = " | ".join(gap.examples)
        paragraphs.append(f"<b>{gap.count}×</b> {markup.escape(examples[:300])}")
    disliked = await store.disliked_entries()
    if disliked:
        titles = {
            row["entry_id"]: kb.entries[row["entry_id"]].title
            for row in disliked
            if row["entry_id"] in kb.entries
        }
        lines = []
        for row in disliked[:15]:
            title = markup.escape(titles.get(row["entry_id"], row["entry_id"]))
            lines.append(f"• {title}: 👎 {row['down']} / 👍 {row['up']}")
        paragraphs.append(ui_html(kb, "gaps_disliked", lang) + "\n" + "\n".join(lines))
    OUTCOME.set(f"gaps:{len(groups)}")
    await send_view(update, context, View(tuple(paragraphs)))


async def stats(update: Update, context: AdvisorContext) -> None:
    """/stats: usage figures; an officer tied to a province sees that province's cooperatives."""
    granted = await _allowed(update, context, Role.OFFICER)
    if granted is None:
        return
    figures = await context.store.stats(granted.scope)
    kb, lang = context.runtime.kb, context.lang
    asked = sum(day["asked"] for day in figures["per_day"])
    answered = sum(day["answered"] or 0 for day in figures["per_day"])
    scope = " " + context.ui("broadcast_scope", province=granted.scope) if granted.scope else ""
    paragraphs = [
        ui_html(
            kb,
            "stats_text",
            lang,
            scope=scope,
            users=str(figures["users"]),
            reachable=str(figures["reachable"]),
            blocked=str(figures["blocked"]),
            coops=str(figures["cooperatives"]),
            asked=str(asked),
            rate=str(round(100 * answered / asked)) if asked else "0",
        )
    ]
    if figures["top_entries"]:
        lines = [f"• {markup.escape(row['entry_id'])}: {row['n']}" for row in figures["top_entries"]]
        paragraphs.append(ui_html(kb, "stats_top", lang) + "\n" + "\n".join(lines))
    if figures["by_level"]:
        lines = [
            f"• {row['level']} {markup.escape(row['level_name'] or '')}: {row['n']}"
            for row in figures["by_level"]
        ]
        paragraphs.append(ui_html(kb, "stats_levels", lang) + "\n" + "\n".join(lines))
    if figures["by_province"]:
        lines = [
            f"• {markup.escape(row['province'])}: {row['n']} ({row['mean']})"
            for row in figures["by_province"]
        ]
        paragraphs.append(ui_html(kb, "stats_provinces", lang) + "\n" + "\n".join(lines))
    if figures["deliveries"]:
        text = ", ".join(f"{status} {n}" for status, n in sorted(figures["deliveries"].items()))
        paragraphs.append(ui_html(kb, "stats_deliveries", lang, figures=text))
    OUTCOME.set("stats")
    await send_view(update, context, View(tuple(paragraphs), (menu_row(kb, lang),)))


async def export(update: Update, context: AdvisorContext) -> None:
    """/export <table>: a CSV document; officers get their province's cooperative tables."""
    granted = await _allowed(update, context, Role.OFFICER)
    if granted is None:
        return
    allowed = ADMIN_EXPORTS if granted.role == Role.ADMIN else OFFICER_EXPORTS
    table = (context.args or [""])[0].lower()
    if table not in allowed:
        await send_view(update, context, context.text_view("export_usage", tables=", ".join(allowed)))
        return
    store = context.store
    rows = await gaps.gap_rows(store) if table == "gaps" else await store.export(table, granted.scope)
    await store.audit(update.effective_user.id, "export", f"{table} {granted.scope or ''}".strip())
    OUTCOME.set(f"export:{table}:{len(rows)}")
    if not rows:
        await send_view(update, context, context.text_view("export_empty", table=table))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read Vietnamese correctly
    stamp = dt.datetime.now(VIETNAM).strftime("%Y%m%d-%H%M")
    await context.bot.send_document(update.effective_chat.id, data, filename=f"{table}-{stamp}.csv")


async def help_extra(update: Update, context: AdvisorContext) -> list[str]:
    """The extra /help sections for officers and admins."""
    user = update.effective_user
    granted = await access_of(context, user.id) if user else Access(Role.MEMBER)
    kb, lang = context.runtime.kb, context.lang
    sections = []
    if granted.at_least(Role.OFFICER):
        sections.append(ui_html(kb, "help_officer", lang))
    if granted.at_least(Role.ADMIN):
        sections.append(ui_html(kb, "help_admin", lang))
    return sections


BUTTONS = {
    "bs": partial(on_audience, action="bs"),
    "bl": partial(on_audience, action="bl"),
    "bn": partial(on_audience, action="bn"),
    "bp": partial(on_audience, action="bp"),
    "bpp": partial(on_audience, action="bpp"),
    "ba": partial(on_audience, action="ba"),
    "bv": on_preview,
    "bt": on_schedule,
    "bk": on_confirm,
    "bx": on_discard,
    "bc": on_cancel_broadcast,
}
