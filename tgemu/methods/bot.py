"""The bot's own profile and look-ups: getMe, command menus, descriptions, getChat, getFile."""

from __future__ import annotations

import json
from typing import Any

from tgemu import rules
from tgemu.errors import bad_request
from tgemu.files import FileInput
from tgemu.methods.params import Params
from tgemu.world import World


async def get_me(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return dict(world.bot_user)


async def log_out(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return True


async def close(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return True


async def get_file(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    stored = world.files.get(p.text("file_id", "") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > rules.MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


async def get_chat(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    chat = dict(world.chats[world.known_chat_id(p.chat_id())])
    chat.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return chat


async def set_my_commands(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    commands = p.obj("commands", [])
    rules.check_commands(commands)
    key = _commands_key(p)
    if commands:
        world.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
    else:
        world.commands.pop(key, None)
    world.events.publish({"type": "commands", "scope": key[0], "language_code": key[1], "commands": commands})
    return True


async def get_my_commands(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return list(world.commands.get(_commands_key(p), []))


async def delete_my_commands(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    world.commands.pop(_commands_key(p), None)
    return True


async def set_my_description(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return _set_text(p, "description", world.descriptions, short=False)


async def set_my_short_description(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return _set_text(p, "short_description", world.short_descriptions, short=True)


async def get_my_description(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return {"description": world.descriptions.get(_language(p), "")}


async def get_my_short_description(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return {"short_description": world.short_descriptions.get(_language(p), "")}


def _commands_key(p: Params) -> tuple[str, str]:
    scope = p.obj("scope") or {"type": "default"}
    rules.check_scope(scope)
    return json.dumps(scope, sort_keys=True), _language(p)


def _language(p: Params) -> str:
    code = p.text("language_code", "") or ""
    rules.check_language_code(code)
    return code


def _set_text(p: Params, name: str, store: dict[str, str], *, short: bool) -> bool:
    text = p.text(name, "") or ""
    rules.check_description(text, short=short)
    language = _language(p)
    if text:
        store[language] = text
    else:
        store.pop(language, None)
    return True
