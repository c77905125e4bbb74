"""Bot API methods for receiving updates: long polling and webhooks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.dispatch import Call, api_method
from emulator.errors import ApiError, bad_request
from emulator.webhook import WebhookSender, check_webhook_url

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator

SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


def _allowed_updates(emu: BotApiEmulator, call: Call) -> None:
    """A given allowed_updates replaces the stored one; an absent one keeps it (Telegram)."""
    allowed = call.get_json("allowed_updates")
    if allowed is not None:
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON array")
        emu.updates.allowed_updates = [str(kind) for kind in allowed]


@api_method("getUpdates")
async def get_updates(emu: BotApiEmulator, call: Call) -> Any:
    if emu.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    _allowed_updates(emu, call)
    offset, limit = call.get_int("offset", 0) or 0, call.get_int("limit", 100) or 100
    timeout = max(0.0, float(call.get("timeout") or 0))
    updates = emu.updates.fetch(offset, limit)
    if not updates and timeout > 0 and not emu.stopping:
        await emu.updates.wait(timeout)
        updates = [] if emu.webhook is not None else emu.updates.fetch(0, limit)
    return updates


@api_method("setWebhook")
async def set_webhook(emu: BotApiEmulator, call: Call) -> Any:
    url = call.get_str("url") or ""
    if not url:  # an empty URL removes the webhook
        await emu.remove_webhook(drop_pending=call.get_bool("drop_pending_updates"))
        return True
    problem = check_webhook_url(url)
    if problem:
        raise bad_request(f"bad webhook: {problem}")
    secret = call.get_str("secret_token")
    if secret is not None and not SECRET_TOKEN.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    max_connections = call.get_int("max_connections", 40) or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    _allowed_updates(emu, call)
    if call.get_bool("drop_pending_updates"):
        emu.updates.drop_pending()
    await emu.remove_webhook(drop_pending=False)
    emu.webhook = WebhookSender(emu.updates, url, secret, max_connections)
    emu.webhook.start()
    emu.updates.wake()  # long polls still waiting must end: the webhook takes over
    return True


@api_method("deleteWebhook")
async def delete_webhook(emu: BotApiEmulator, call: Call) -> Any:
    await emu.remove_webhook(drop_pending=call.get_bool("drop_pending_updates"))
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(emu: BotApiEmulator, call: Call) -> Any:
    info: dict[str, Any] = {
        "url": emu.webhook.url if emu.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(emu.updates),
    }
    if emu.webhook is not None:
        info.update(emu.webhook.info())
        if emu.updates.allowed_updates:
            info["allowed_updates"] = emu.updates.allowed_updates
    return info
