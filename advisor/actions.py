"""The button vocabulary: what every inline button means, as the core's views name it.

A button's action is `(Action, *arguments)`; the adapter encodes it into callback data
(`advisor.telegram.callbacks`, within Telegram's 64 bytes) and routes each action to its
handler. Values are short on purpose: they travel in every button.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    # browsing the knowledge
    MENU = "menu"
    TOPIC = "topic"  # topic id, page, [EDIT]
    ENTRY = "entry"  # entry id
    GUIDE = "guide"  # guide id, step, [EDIT]
    VOTE = "vote"  # entry id, "up" | "down"
    KINDS = "kinds"
    KIND = "kind"  # kind id
    SECTORS = "sectors"
    SECTOR = "sector"  # sector id
    HELP = "help"
    NOTICES = "notices"
    SUBSCRIBE = "sub"  # "1" on, "0" off
    NOTHING = "nop"  # a label that looks like a button (a page counter): answered silently
    # the cooperative's profile
    PROFILE_SECTOR = "sec"  # sector id
    PROFILE_PROVINCE = "prv"  # province number
    PROVINCE_PAGE = "prp"  # page
    PROFILE_EDIT = "pe"  # field name
    PROFILE_NAME = "pn"  # "yes": the typed text is the name; "no": it was a question
    # the self-assessment
    ASSESS = "as"  # [ "go" resume | "new" start over ]
    ANSWER = "a"  # assessment id, question id, option number
    BACK = "ab"  # assessment id, question id
    PAUSE = "ap"  # assessment id
    HISTORY = "hist"
    RESULT = "res"  # assessment id: a stored result shown again in full, chart included
    # an officer's notice
    AUDIENCE_SECTOR = "bs"  # sector id
    AUDIENCE_LEVEL = "bl"  # level number
    AUDIENCE_NOT_ASSESSED = "bn"
    AUDIENCE_PROVINCE = "bp"  # province number, page
    AUDIENCE_PROVINCE_PAGE = "bpp"  # page
    AUDIENCE = "ba"
    PREVIEW = "bv"
    SCHEDULE = "bt"
    CONFIRM = "bk"
    DISCARD = "bx"
    STOP_BROADCAST = "bc"  # broadcast id
    EXPORT = "exp"  # table name
    # "Hỏi cán bộ": a member's question to the officers of their province
    HANDOFF = "ho"  # the member's last question (kept in their session) to send
    HANDOFF_PROVINCE = "hop"  # province number (a member without a profile)
    HANDOFF_PROVINCE_PAGE = "hopp"  # page
    HANDOFF_SEND = "hos"  # "1" with the member's name, "0" without
    HANDOFF_CLAIM = "hoc"  # handoff id: an officer takes it to answer
    HANDOFF_RELEASE = "hol"  # handoff id: the officer gives it back
    HANDOFF_MOVE_PAGE = "homp"  # handoff id, page: provinces to transfer it to
    HANDOFF_MOVE = "hom"  # handoff id, province number, page
    HANDOFF_SCOPE = "hox"  # handoff id: not for extension officers
    HANDOFF_DELIVER = "hod"  # handoff id: send the previewed answer
    HANDOFF_RATE = "hor"  # handoff id, "up" | "down"
    HANDOFF_FOLLOW = "hof"  # handoff id: the member's one follow-up
    HANDOFF_KB = "hok"  # handoff id: an admin marks the answer for the knowledge base
    HANDOFF_DRAFT = "hoy"  # handoff id: the marked answer as a draft entry file (for /kb)
    # an admin editing the knowledge (/kb)
    KB_MENU = "kb"
    KB_ZIP = "kbz"  # download every knowledge file as a zip
    KB_FILES = "kbl"  # the list of files to download one
    KB_FILE = "kbf"  # path parts of one file ("faq", "tm.yaml")
    KB_UPLOAD = "kbu"  # how to send a changed file
    KB_HISTORY = "kbh"
    KB_ROLLBACK = "kbr"  # version number: preview going back to it
    KB_APPLY = "kba"  # proposal number
    KB_CANCEL = "kbx"  # proposal number
    # personal data: consent, the notice, "my data", "forget me"
    CONSENT = "cs"  # "y" agree | "n" refuse | "w" withdraw, notice version
    NOTICE = "pvn"  # the full privacy notice
    MYDATA = "md"
    FORGET = "fg"  # "ask" | "go" | "coop" (delete the profile too) | "keep" | "no"


EDIT = "e"
"""Last argument of a paging button: edit the pressed message instead of sending a new one."""

VERSIONLESS = frozenset(
    {
        Action.ANSWER,
        Action.BACK,
        Action.PAUSE,
        *(action for action in Action if action.name.startswith("HANDOFF_")),
        Action.KB_MENU,
        Action.KB_ZIP,
        Action.KB_FILES,
        Action.KB_FILE,
        Action.KB_UPLOAD,
        Action.KB_HISTORY,
        Action.KB_ROLLBACK,
        Action.KB_APPLY,
        Action.KB_CANCEL,
        Action.CONSENT,
        Action.NOTICE,
        Action.MYDATA,
        Action.FORGET,
    }
)
"""Not tied to the knowledge base's version. Assessment buttons are checked against the
assessment's own questionnaire version: an FAQ edit must not interrupt someone halfway through
the questions. An admin's knowledge preview says itself that the knowledge changed under it
(its base files). Buttons of a question to officers carry ids of stored questions (and of the
fixed province list), which a reload does not change; an officer may tap one days later.
Privacy buttons do not depend on the knowledge; a consent carries the notice version it was
given for."""
