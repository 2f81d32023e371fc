"""Who may do what: every privileged command and button checks the user's role on the server,
whatever the button's data says (`allowed`)."""

from __future__ import annotations

from telegram import Update

from advisor.roles import Access, Role, access
from advisor.telegram.context import AdvisorContext
from advisor.telegram.replies import OUTCOME, send_view


async def access_of(context: AdvisorContext, user_id: int) -> Access:
    return access(user_id, context.runtime.settings, await context.store.grants.of(user_id))


async def allowed(update: Update, context: AdvisorContext, role: Role) -> Access | None:
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
