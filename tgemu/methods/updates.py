"""How the bot receives updates: getUpdates long polling, or a webhook it registers."""

from __future__ import annotations

from typing import Any

from tgemu.errors import ApiError, bad_request
from tgemu.files import FileInput
from tgemu.methods.params import Params
from tgemu.world import World


async def get_updates(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    if world.webhook.get("url"):
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = p.integer("offset", 0) or 0
    limit = min(max(p.integer("limit", 100) or 100, 1), 100)
    timeout = max(p.number("timeout"), 0.0)  # fractions help tests
    return await world.updates.get(offset, limit, timeout, p.obj("allowed_updates"))


async def delete_webhook(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    world.webhook = {}
    if p.flag("drop_pending_updates"):
        world.updates.clear()
    return True


async def set_webhook(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    url = p.text("url", "") or ""
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    world.webhook = {key: value for key, value in p.raw.items() if key != "certificate"} if url else {}
    if p.flag("drop_pending_updates"):
        world.updates.clear()
    return True


async def get_webhook_info(world: World, p: Params, uploads: dict[str, FileInput]) -> Any:
    return {
        "url": world.webhook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates.pending),
    }
