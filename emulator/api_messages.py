"""Bot API methods that send messages and files to a user's chat.

Every send is checked in Telegram's order of concerns: the chat exists and has not blocked the
bot (403), the content is valid (400), flood control admits it (429); only then does the message
appear in the chat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.dispatch import Call, Upload, api_method
from emulator.errors import ApiError, bad_request, blocked
from emulator.formatting import Formatted, ParseError, format_text
from emulator.markup import Markup, parse_markup
from emulator.state import Chat, ChatMessage, StoredFile

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator

MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


# --- shared checks ---------------------------------------------------------------------------
def target_chat(emu: BotApiEmulator, call: Call) -> Chat:
    """The chat a send or edit goes to; 400 if unknown, 403 if the user blocked the bot."""
    try:
        chat = emu.chat(int(call.get("chat_id", "")))
    except (TypeError, ValueError):
        raise bad_request("chat not found") from None
    if chat.blocked:
        raise blocked()
    if not chat.started:
        raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    return chat


def formatted_text(
    emu: BotApiEmulator, call: Call, key: str, *, required: bool, parse_mode: str | None = None
) -> tuple[Formatted | None, str | None]:
    """The text (key="text") or caption of a call, parsed and length-checked; plus the HTML
    source when parse_mode is HTML."""
    source = call.get_str(key)
    mode = parse_mode if parse_mode is not None else call.get_str("parse_mode")
    if not source:
        if required:
            raise bad_request("message text is empty")
        return None, None
    entities = call.get_json("entities" if key == "text" else "caption_entities")
    try:
        formatted = format_text(source, mode, entities if isinstance(entities, list) else None)
    except ParseError as error:
        raise bad_request(f"can't parse entities: {error}") from None
    except ValueError:
        raise bad_request(f"unsupported parse_mode {mode!r}") from None
    if not formatted.text:
        if required:
            raise bad_request("message text is empty")
        return None, None
    if key == "text" and len(formatted.text) > emu.limits.max_text:
        raise bad_request("message is too long")
    if key != "text" and len(formatted.text) > emu.limits.max_caption:
        raise bad_request("message caption is too long")
    return formatted, source if (mode or "").lower() == "html" else None


def reply_target(chat: Chat, call: Call) -> dict[str, Any] | None:
    """The raw message a send replies to (reply_parameters), or None."""
    parameters = call.get_json("reply_parameters") or {}
    message_id = parameters.get("message_id") or call.get_int("reply_to_message_id")
    if not message_id:
        return None
    target = chat.by_id.get(int(message_id))
    if target is None:
        if parameters.get("allow_sending_without_reply") or call.get_bool(
            "allow_sending_without_reply"
        ):
            return None
        raise bad_request("message to be replied not found")
    return {k: v for k, v in target.raw.items() if k != "reply_to_message"}


def input_file(emu: BotApiEmulator, call: Call, key: str) -> StoredFile | Upload:
    """A file parameter: a part uploaded under its own name, or a reference to one; `key` is
    also the kind of file the method sends ("photo" or "document")."""
    upload = call.uploads.get(key)
    if upload is not None:
        return checked_upload(upload)
    return file_reference(emu, call, call.params.get(key), key, key)


def file_reference(
    emu: BotApiEmulator, call: Call, value: Any, key: str, kind: str
) -> StoredFile | Upload:
    """ "attach://<part name>" or the file_id of a file Telegram already has, of the right kind:
    a document's file_id sent as a photo is refused (and a photo's as a document)."""
    if isinstance(value, str) and value.startswith("attach://"):
        upload = call.uploads.get(value.removeprefix("attach://"))
        if upload is None:
            raise bad_request(f"file {value} not found in the request")
        return checked_upload(upload)
    if isinstance(value, str) and value in emu.files:
        stored = emu.files[value]
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored
    if not value:
        raise bad_request(f"there is no {key} in the request")
    # Telegram would download an HTTP URL; the emulator stays off the network.
    raise bad_request("wrong file identifier/HTTP URL specified")


def checked_upload(upload: Upload) -> Upload:
    if not upload.data:
        raise bad_request("file must be non-empty")
    if len(upload.data) > MAX_UPLOAD:
        raise ApiError(413, "Request Entity Too Large")
    return upload


def store(emu: BotApiEmulator, file: StoredFile | Upload, kind: str) -> StoredFile:
    if isinstance(file, StoredFile):
        return file
    return emu.store_file(file.data, file.filename, file.mime_type, kind)


def document_json(stored: StoredFile) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "file_size": len(stored.data),
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


def new_bot_message(
    emu: BotApiEmulator,
    chat: Chat,
    call: Call,
    kind: str,
    *,
    text: Formatted | None = None,
    caption: Formatted | None = None,
    html: str | None = None,
    inline_keyboard: list[list[dict[str, Any]]] | None = None,
    reply_to: dict[str, Any] | None = None,
    parse_mode: str | None = None,
    **media: Any,
) -> ChatMessage:
    """A Message object from the bot, complete enough for any client's Message parser."""
    raw: dict[str, Any] = {
        "message_id": emu.next_message_id(chat.user_id),
        "from": emu.bot_user(),
        "chat": emu.chat_json(chat.user_id),
        "date": emu.now(),
    }
    if reply_to is not None:
        raw["reply_to_message"] = reply_to
    if text is not None:
        raw["text"] = text.text
        if text.entities:
            raw["entities"] = text.entities
    raw.update(media)
    if caption is not None:
        raw["caption"] = caption.text
        if caption.entities:
            raw["caption_entities"] = caption.entities
    if inline_keyboard:
        raw["reply_markup"] = {"inline_keyboard": inline_keyboard}
    if call.get_bool("protect_content"):
        raw["has_protected_content"] = True
    document = media.get("document")
    return ChatMessage(
        message_id=raw["message_id"],
        chat_id=chat.user_id,
        from_bot=True,
        date=raw["date"],
        kind=kind,
        text=text.text if text else None,
        caption=caption.text if caption else None,
        html=html,
        parse_mode=parse_mode or call.get_str("parse_mode"),
        photo_file_id=media["photo"][-1]["file_id"] if "photo" in media else None,
        document=document,
        location=media.get("location"),
        venue=media.get("venue"),
        inline_keyboard=inline_keyboard,
        entities=text.entities if text else caption.entities if caption else [],
        raw=raw,
        paid_broadcast=call.get_bool("allow_paid_broadcast"),
    )


def prepare(emu: BotApiEmulator, call: Call) -> tuple[Chat, Markup, dict[str, Any] | None]:
    chat = target_chat(emu, call)
    markup = parse_markup(call.get_json("reply_markup"), emu.limits.max_callback_data)
    if markup.dropped:
        emu.violations.append(
            ("reply_markup", f"{markup.dropped} buttons past 12 in a row dropped")
        )
    return chat, markup, reply_target(chat, call)


# --- methods ---------------------------------------------------------------------------------
@api_method("sendMessage", flood_controlled=True)
async def send_message(emu: BotApiEmulator, call: Call) -> Any:
    chat, markup, reply_to = prepare(emu, call)
    text, html = formatted_text(emu, call, "text", required=True)
    emu.admit_send(chat, call)
    message = new_bot_message(
        emu,
        chat,
        call,
        "text",
        text=text,
        html=html,
        reply_to=reply_to,
        inline_keyboard=markup.inline_keyboard,
    )
    emu.post_bot_message(chat, message, markup)
    return message.raw


@api_method("sendPhoto", flood_controlled=True)
async def send_photo(emu: BotApiEmulator, call: Call) -> Any:
    chat, markup, reply_to = prepare(emu, call)
    caption, html = formatted_text(emu, call, "caption", required=False)
    photo = input_file(emu, call, "photo")
    emu.admit_send(chat, call)
    stored = store(emu, photo, "photo")
    message = new_bot_message(
        emu,
        chat,
        call,
        "photo",
        caption=caption,
        html=html,
        reply_to=reply_to,
        inline_keyboard=markup.inline_keyboard,
        photo=emu.photo_sizes(stored),
    )
    emu.post_bot_message(chat, message, markup)
    return message.raw


@api_method("sendDocument", flood_controlled=True)
async def send_document(emu: BotApiEmulator, call: Call) -> Any:
    chat, markup, reply_to = prepare(emu, call)
    caption, html = formatted_text(emu, call, "caption", required=False)
    document = input_file(emu, call, "document")
    emu.admit_send(chat, call)
    stored = store(emu, document, "document")
    message = new_bot_message(
        emu,
        chat,
        call,
        "document",
        caption=caption,
        html=html,
        reply_to=reply_to,
        inline_keyboard=markup.inline_keyboard,
        document=document_json(stored),
    )
    emu.post_bot_message(chat, message, markup)
    return message.raw


@api_method("sendLocation", flood_controlled=True)
async def send_location(emu: BotApiEmulator, call: Call) -> Any:
    chat, markup, reply_to = prepare(emu, call)
    latitude, longitude = call.get_float("latitude"), call.get_float("longitude")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong latitude or longitude")
    emu.admit_send(chat, call)
    message = new_bot_message(
        emu,
        chat,
        call,
        "location",
        reply_to=reply_to,
        inline_keyboard=markup.inline_keyboard,
        location={"latitude": latitude, "longitude": longitude},
    )
    emu.post_bot_message(chat, message, markup)
    return message.raw


@api_method("sendVenue", flood_controlled=True)
async def send_venue(emu: BotApiEmulator, call: Call) -> Any:
    """A venue: a point with a title and an address; like Telegram, the message carries the
    `venue` and, for older clients, its `location` too."""
    chat, markup, reply_to = prepare(emu, call)
    latitude, longitude = call.get_float("latitude"), call.get_float("longitude")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong latitude or longitude")
    for key in ("title", "address"):
        if call.params.get(key) is None:
            raise bad_request(f"{key} is empty")
    location = {"latitude": latitude, "longitude": longitude}
    venue: dict[str, Any] = {
        "location": location,
        "title": call.get_str("title"),
        "address": call.get_str("address"),
    }
    for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
        if call.has(key):
            venue[key] = call.get_str(key)
    emu.admit_send(chat, call)
    message = new_bot_message(
        emu,
        chat,
        call,
        "venue",
        reply_to=reply_to,
        inline_keyboard=markup.inline_keyboard,
        location=location,
        venue=venue,
    )
    emu.post_bot_message(chat, message, markup)
    return message.raw


@api_method("sendMediaGroup", flood_controlled=True)
async def send_media_group(emu: BotApiEmulator, call: Call) -> Any:
    chat = target_chat(emu, call)
    reply_to = reply_target(chat, call)
    media = call.get_json("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("media must contain 2-10 items")
    kinds = {item.get("type") for item in media if isinstance(item, dict)}
    if not kinds <= {"photo", "document"} or len(kinds) != 1:
        raise bad_request("the emulator supports groups of photos or of documents only")
    items = []
    for item in media:
        caption_call = Call(
            {"caption": item.get("caption"), "caption_entities": item.get("caption_entities")},
            call.uploads,
        )
        caption, html = formatted_text(
            emu, caption_call, "caption", required=False, parse_mode=item.get("parse_mode") or ""
        )
        file = file_reference(emu, call, item.get("media"), "media", item["type"])
        items.append((item, caption, html, file))
    emu.admit_send(chat, call)
    group_id = f"{chat.user_id}{emu.now()}"
    results = []
    for item, caption, html, file in items:
        stored = store(emu, file, item["type"])
        content = (
            {"photo": emu.photo_sizes(stored)}
            if item["type"] == "photo"
            else {"document": document_json(stored)}
        )
        message = new_bot_message(
            emu,
            chat,
            call,
            item["type"],
            caption=caption,
            html=html,
            reply_to=reply_to,
            parse_mode=item.get("parse_mode"),
            media_group_id=group_id,
            **content,
        )
        emu.post_bot_message(chat, message, Markup())
        results.append(message.raw)
    return results


@api_method("sendChatAction")
async def send_chat_action(emu: BotApiEmulator, call: Call) -> Any:
    target_chat(emu, call)
    if call.get_str("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@api_method("getFile")
async def get_file(emu: BotApiEmulator, call: Call) -> Any:
    stored = emu.files.get(call.get_str("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }
