"""Roles: from the environment and from grants."""

from __future__ import annotations

from advisor.config import Settings
from advisor.records import Grant
from advisor.roles import Role, access


def test_roles_from_environment_and_grants() -> None:
    settings = Settings(admins=frozenset({1}), officers=frozenset({2}))
    grant = Grant(3, "officer", "Huế", 1, "now")
    assert access(1, settings, None).role == Role.ADMIN
    assert access(2, settings, None).scope is None
    assert access(3, settings, grant).scope == "Huế"
    assert access(4, settings, None).role == Role.MEMBER
