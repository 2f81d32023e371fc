"""What a person sees about their personal data, as channel-free views: the consent prompt,
the full notice with their consent, and the steps of /forget."""

from __future__ import annotations

from collections.abc import Mapping

from advisor import markup
from advisor.actions import Action
from advisor.kb.models import KnowledgeBase, PrivacyNotice
from advisor.privacy import Status
from advisor.records import Consent
from advisor.views import Button, View, main_menu_view, menu_row, ui_html


def _notice_html(template: str, values: Mapping[str, str]) -> tuple[str, ...]:
    """A notice text rendered, then filled with the operator's settings (escaped)."""
    html = markup.render_html(template).format(**{k: markup.escape(v) for k, v in values.items()})
    return tuple(p for p in html.split("\n\n") if p.strip())


def consent_buttons(kb: KnowledgeBase, notice: PrivacyNotice, lang: str) -> tuple[tuple[Button, ...], ...]:
    """Đồng ý / Không đồng ý, then Xem chi tiết."""
    return (
        (
            Button(kb.ui.get("consent_yes", lang), (Action.CONSENT, "y", notice.version)),
            Button(kb.ui.get("consent_no", lang), (Action.CONSENT, "n", notice.version)),
        ),
        (Button(kb.ui.get("consent_details", lang), (Action.NOTICE,)),),
    )


def consent_view(
    kb: KnowledgeBase, notice: PrivacyNotice, lang: str, values: Mapping[str, str], intro_key: str = ""
) -> View:
    """The short notice with the consent buttons; `intro_key` a ui.yaml text put first."""
    intro = (ui_html(kb, intro_key, lang),) if intro_key else ()
    paragraphs = (*intro, *_notice_html(notice.summary[lang], values))
    return View(paragraphs, consent_buttons(kb, notice, lang))


def start_view(
    kb: KnowledgeBase, notice: PrivacyNotice, lang: str, values: Mapping[str, str], name: str
) -> View:
    """/start before any decision: the greeting and the short notice in one message, the
    consent buttons first, then the menu (browsing and questions need no consent)."""
    menu = main_menu_view(kb, lang, "greeting", name=name)
    summary = _notice_html(notice.summary[lang], values)
    return View((*menu.paragraphs, *summary), (*consent_buttons(kb, notice, lang), *menu.buttons))


def _status_line(kb: KnowledgeBase, lang: str, current: Status, latest: Consent | None) -> str:
    date = latest.at[:10] if latest else "-"
    version = latest.version if latest else "-"
    return ui_html(kb, f"privacy_status_{current.value}", lang, version=version, date=date)


def notice_view(
    kb: KnowledgeBase,
    notice: PrivacyNotice,
    lang: str,
    values: Mapping[str, str],
    current: Status,
    latest: Consent | None,
) -> View:
    """/privacy: the full notice, where the person stands, and what they can do about it."""
    paragraphs = (*_notice_html(notice.text[lang], values), _status_line(kb, lang, current, latest))
    if current == Status.GRANTED:
        decide: tuple[Button, ...] = (
            Button(kb.ui.get("consent_withdraw", lang), (Action.CONSENT, "w", notice.version)),
        )
    else:
        decide = consent_buttons(kb, notice, lang)[0]
    rows = (
        decide,
        (
            Button(kb.ui.get("mydata_button", lang), (Action.MYDATA,)),
            Button(kb.ui.get("forget_button", lang), (Action.FORGET, "ask")),
        ),
        menu_row(kb, lang),
    )
    return View(paragraphs, rows)


def forget_confirm_view(kb: KnowledgeBase, lang: str) -> View:
    """The confirmation before anything is deleted."""
    rows = (
        (Button(kb.ui.get("forget_button", lang), (Action.FORGET, "go")),),
        (Button(kb.ui.get("forget_cancel", lang), (Action.FORGET, "no")),),
    )
    return View(tuple(ui_html(kb, "forget_confirm", lang).split("\n\n")), rows)


def forget_coop_view(kb: KnowledgeBase, lang: str, coop_name: str) -> View:
    """The only member of a cooperative profile: delete the profile too, or keep it?"""
    rows = (
        (Button(kb.ui.get("forget_delete_coop", lang), (Action.FORGET, "coop")),),
        (Button(kb.ui.get("forget_keep_coop", lang), (Action.FORGET, "keep")),),
        (Button(kb.ui.get("forget_cancel", lang), (Action.FORGET, "no")),),
    )
    return View((ui_html(kb, "forget_sole_member", lang, name=coop_name),), rows)
