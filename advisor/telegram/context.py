"""The handlers' context: python-telegram-bot's `CallbackContext` with the bot's services.

Wired once through `ContextTypes(context=AdvisorContext)`, so every handler reads
`context.store`, `context.kb`, `context.lang` and `context.ui(...)` instead of digging in
`bot_data`. The services themselves live in `Runtime` (`bot_data["runtime"]`), as rules-bot
keeps its service objects in `bot_data`.
"""

from __future__ import annotations

import logging

from telegram.ext import CallbackContext, ExtBot

from advisor import views
from advisor.assessment_session import AssessmentSessions
from advisor.kb import KnowledgeBase
from advisor.profiles import Profiles
from advisor.records import StoreError
from advisor.storage import Store
from advisor.telegram.runtime import Runtime
from advisor.views import View

log = logging.getLogger("advisor.bot")


def language_from_telegram(code: str | None) -> str:
    """The interface language for a Telegram client's language code (English or Vietnamese)."""
    return "en" if (code or "").lower().startswith("en") else "vi"


class AdvisorContext(CallbackContext[ExtBot, dict, dict, dict]):
    """`CallbackContext` plus the runtime's services and the user's language."""

    @property
    def runtime(self) -> Runtime:
        return self.application.bot_data["runtime"]

    @property
    def store(self) -> Store:
        """The open database (raises if start-up did not open it)."""
        return self.runtime.require_store()

    @property
    def kb(self) -> KnowledgeBase:
        """The current knowledge; read `runtime.advisor` once when an update needs it twice."""
        return self.runtime.kb

    @property
    def lang(self) -> str:
        """The user's interface language ("vi" or "en"), loaded by `track_user`."""
        return self.user_data.get("lang", "vi") if self.user_data is not None else "vi"

    @property
    def profiles(self) -> Profiles:
        return Profiles(self.store)

    @property
    def sessions(self) -> AssessmentSessions:
        """The assessment walk over the current questionnaire."""
        questionnaire = self.kb.assessment
        if questionnaire is None:
            raise RuntimeError("the knowledge base has no assessment.yaml")
        return AssessmentSessions(self.store, questionnaire)

    async def leave_flow(self, user_id: int | None) -> bool:
        """End the user's pending flow (a profile or notice being typed), if any: a command or
        a tap elsewhere means the member moved on, and their next text is a question again."""
        if user_id is None:
            return False
        try:  # a read first: most taps and commands come with no flow, and need no write
            return await self.store.flows.get(user_id) is not None and await self.store.flows.end(user_id)
        except StoreError as exc:
            log.warning("could not end the flow of %s: %s", user_id, exc)
            return False

    def ui(self, key: str, **values: str) -> str:
        """A ui.yaml text in the user's language."""
        return self.kb.ui.get(key, self.lang, **values)

    def text_view(self, key: str, menu: bool = True, **values: str) -> View:
        """A ui.yaml text in the user's language, as a view."""
        return views.text_view(self.kb, key, self.lang, menu=menu, **values)
