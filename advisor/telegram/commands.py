"""The command table: every command once, with who may use it and where.

Handlers, the group rule ("personal commands only in a private chat") and each role's command
menu in Telegram are all derived from `COMMANDS`, so a new command is one line here plus its
`cmd_<name>` description in ui.yaml.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application

from advisor.roles import Role
from advisor.telegram import admin, coop, handlers, handoff, knowledge, officer, privacy
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME

log = logging.getLogger("advisor.bot")


@dataclass(frozen=True)
class Command:
    name: str
    callback: Callable[[Update, AdvisorContext], Awaitable[None]]
    role: Role = Role.MEMBER
    """Shown in the menu of this role and above (the handler itself checks the rights)."""
    private: bool = False
    """About one person's cooperative or rights: answered in a private chat only."""
    in_menu: bool = True
    """Listed in Telegram's command menu (reached by a button otherwise)."""

    async def run(self, update: Update, context: AdvisorContext) -> None:
        """The handler, with the command's name as the update's outcome unless it says more.
        A command leaves any pending flow first (/cancel says whether there was one)."""
        OUTCOME.set(self.name)
        if self.name != "cancel" and update.effective_user is not None:
            await context.leave_flow(update.effective_user.id)
        await self.callback(update, context)


COMMANDS = (
    Command("start", handlers.start),
    Command("menu", handlers.menu),
    Command("assess", coop.assess, private=True),
    Command("register", coop.register, private=True),
    Command("profile", coop.profile, private=True),
    Command("history", coop.history, private=True),
    Command("help", handlers.help_command),
    Command("lang", handlers.lang),
    Command("cancel", handlers.cancel),
    Command("about", handlers.about),
    Command("privacy", privacy.show_notice),
    Command("mydata", privacy.my_data, private=True),
    Command("forget", privacy.forget, private=True),
    Command("ask", handoff.ask, private=True),
    Command("myquestions", handoff.my_questions, private=True),
    Command("subscribe", officer.subscribe, private=True, in_menu=False),
    Command("unsubscribe", officer.unsubscribe, private=True, in_menu=False),
    Command("broadcast", officer.broadcast, Role.OFFICER, private=True),
    Command("broadcasts", officer.broadcasts, Role.OFFICER, private=True),
    Command("inbox", handoff.inbox, Role.OFFICER, private=True),
    Command("stats", admin.stats, Role.OFFICER, private=True),
    Command("export", admin.export, Role.OFFICER, private=True),
    Command("reload", admin.reload, Role.ADMIN, private=True),
    Command("kb", knowledge.kb, Role.ADMIN, private=True),
    Command("gaps", admin.gaps_command, Role.ADMIN, private=True),
    Command("grant", admin.grant, Role.ADMIN, private=True),
    Command("revoke", admin.revoke, Role.ADMIN, private=True),
)

PRIVATE_ONLY = tuple(c.name for c in COMMANDS if c.private)


def commands_for(role: Role) -> tuple[str, ...]:
    """The command menu of a role, in the table's order."""
    return tuple(c.name for c in COMMANDS if c.in_menu and role >= c.role)


def _menu(app: Application, role: Role, lang: str) -> list[BotCommand]:
    kb = app.bot_data["runtime"].kb
    return [BotCommand(name, kb.ui.get(f"cmd_{name}", lang)[:256]) for name in commands_for(role)]


async def set_commands(app: Application) -> None:
    """The members' command menu, description and short description per language (vi is also
    the default), and the larger menus of the officers and admins named in the environment."""
    rt = app.bot_data["runtime"]
    for lang, code in (("vi", None), ("vi", "vi"), ("en", "en")):
        await app.bot.set_my_commands(_menu(app, Role.MEMBER, lang), language_code=code)
        await app.bot.set_my_description(rt.kb.ui.get("description", lang)[:512], language_code=code)
        await app.bot.set_my_short_description(
            rt.kb.ui.get("short_description", lang)[:120], language_code=code
        )
    for user_id in rt.settings.officers - rt.settings.admins:
        await set_role_commands(app, user_id, Role.OFFICER)
    for user_id in rt.settings.admins:
        await set_role_commands(app, user_id, Role.ADMIN)


async def set_role_commands(app: Application, user_id: int, role: Role) -> None:
    """The command menu of one officer's or admin's private chat (a member's is the default)."""
    try:
        if role == Role.MEMBER:
            await app.bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
            return
        await app.bot.set_my_commands(_menu(app, role, "vi"), scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:  # the user may never have opened a chat with the bot
        log.info("could not set the command menu of %s: %s", user_id, exc)
