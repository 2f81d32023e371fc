"""Who may do what: members, extension officers (optionally tied to a province), admins.

Admins and officers come from the environment (`ADVISOR_ADMINS`, `ADVISOR_OFFICERS`) or
from grants an admin made at run time. Every privileged command and button asks
`access()` on the server side; a button's data is never trusted to say who pressed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from advisor.config import Settings
from advisor.records import Grant


class Role(IntEnum):
    MEMBER = 0
    OFFICER = 1
    ADMIN = 2


@dataclass(frozen=True)
class Access:
    """A user's role and, for an officer tied to a province, that province."""

    role: Role
    province: str | None = None

    def at_least(self, role: Role) -> bool:
        return self.role >= role

    @property
    def scope(self) -> str | None:
        """The province an officer's broadcasts, stats and exports are limited to (None: all)."""
        return self.province if self.role == Role.OFFICER else None


def access(user_id: int, settings: Settings, grant: Grant | None) -> Access:
    """Environment roles win over grants; an environment officer has no province limit."""
    if user_id in settings.admins:
        return Access(Role.ADMIN)
    if grant is not None and grant.role == "admin":
        return Access(Role.ADMIN)
    if user_id in settings.officers:
        return Access(Role.OFFICER)
    if grant is not None and grant.role == "officer":
        return Access(Role.OFFICER, grant.province)
    return Access(Role.MEMBER)
