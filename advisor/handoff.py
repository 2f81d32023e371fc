"""'Hỏi cán bộ': who receives a member's question, who may take it, how the answer is signed,
and how answered questions become draft knowledge entries.

A question goes to the officers granted for the member's province; when that province has
none (or the member gave none), to the officers bound to no province and the admins, so no
question is left without a reader. An officer sees and answers the questions of their own
province only; admins and province-less officers see all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from advisor.answering import Advisor
from advisor.config import Settings
from advisor.folding import fold
from advisor.records import Coop, Grant, Handoff
from advisor.roles import Access, Role

HANDOFF_FLOW = "handoff"
"""An officer typing the answer to a claimed question (flow state: {"id": handoff id, and
"text": the answer typed so far, shown as a preview})."""
ASK_FLOW = "handoff_ask"
"""A member about to send a question (state: "question", "province", "context"): a text
typed now is one line of context added to it."""
FOLLOW_FLOW = "handoff_follow"
"""A member typing their one follow-up to an answer (state: {"id": handoff id})."""
MAX_QUESTION = 1000
MAX_CONTEXT = 300


@dataclass(frozen=True)
class Asker:
    """What officers are told about the member who asks: the name only if the member agreed."""

    name: str | None
    coop: Coop | None = None
    level: int | None = None
    """The cooperative's latest self-assessment level, if it has one."""


def recipients(province: str | None, grants: Iterable[Grant], settings: Settings) -> list[int]:
    """The officers a new question is sent to."""
    grants = list(grants)
    local = {g.user_id for g in grants if g.role == "officer" and province and g.province == province}
    if local:
        return sorted(local)
    wide = {g.user_id for g in grants if (g.role == "officer" and g.province is None) or g.role == "admin"}
    return sorted(wide | settings.officers | settings.admins)


def admins(grants: Iterable[Grant], settings: Settings) -> list[int]:
    """Who an overdue question escalates to."""
    return sorted(settings.admins | {g.user_id for g in grants if g.role == "admin"})


def may_handle(granted: Access, handoff: Handoff) -> bool:
    """Whether this officer may see, take and answer the question."""
    return granted.at_least(Role.OFFICER) and (granted.scope is None or granted.scope == handoff.province)


def with_context(question: str, context: str) -> str:
    """The question as officers read it: the member's added line of context after it."""
    return f"{question}\n({context})" if context else question


def draft_entries(answered: Sequence[Handoff], advisor: Advisor) -> str:
    """Answered questions as draft knowledge entries (YAML) for a curator: a suggested id and
    topic (of the entry the bot ranks first), the question and its follow-up as phrasings, the
    officer's answer, the source naming who answered
    and when, `reviewed` empty and a `draft` mark that `advisor validate` refuses until a
    curator has checked the entry."""
    drafts = []
    for item in answered:
        decision = advisor.decide(item.question)
        best = decision.hits[0].entry_id if decision.hits else None
        topic = advisor.kb.entries[best].topic if best else advisor.kb.topics[0].id
        asked = [line.strip() for line in item.question.splitlines() if line.strip()]
        if item.follow_up:
            asked.append(item.follow_up.strip())
        phrasings = list({fold(text): text for text in reversed(asked)}.values())[::-1]
        day = (item.answered_at or item.asked_at)[:10]
        drafts.append(
            {
                "id": f"{topic}.officer_answer_{item.id}",
                "topic": topic,
                "draft": f"câu hỏi #{item.id} gửi cán bộ; kiểm tra nội dung, điền reviewed rồi xóa dòng này",
                "title": asked[0][:150] if asked else f"#{item.id}",
                "phrasings": phrasings,
                "keywords": [],
                "answer": (item.answer_text or "").strip()
                + "\n\n**Bước tiếp theo:** hỏi thêm cán bộ hỗ trợ HTX của tỉnh bằng lệnh /ask.",
                "source": f"{item.signed or 'Cán bộ hỗ trợ'} trả lời câu hỏi #{item.id}, ngày "
                f"{dt.date.fromisoformat(day).strftime('%d/%m/%Y')}",
                "reviewed": None,
                "related": [hit.entry_id for hit in decision.hits[:3]],
                "test_questions": [],
            }
        )
    header = (
        "# Bản nháp từ câu trả lời của cán bộ hỗ trợ (advisor export answered --yaml).\n"
        "# Trước khi đưa vào knowledge/faq/: kiểm tra từng ý với văn bản gốc, ghi nguồn (văn bản, điều),\n"
        "# thêm cách hỏi, từ khóa, câu hỏi kiểm tra và answer_en, điền reviewed, xóa dòng draft.\n"
    )
    return header + yaml.dump(
        {"entries": drafts}, Dumper=_EntryDumper, allow_unicode=True, sort_keys=False, width=100
    )


class _EntryDumper(yaml.SafeDumper):
    """YAML laid out like the knowledge files: nested lists indented, multi-line text as a
    literal block (the answer reads as it will show)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


_EntryDumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    ),
)
