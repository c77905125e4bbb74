"""Every request checked against the published Bot API specification (bot_api_spec.json: Bot
API 10.1, the machine-readable PaulSonOfLars/telegram-bot-api-spec, descriptions left out).

`check_request(method, params, uploads)` lists what the real server would not take: a method
the spec does not have, a parameter it does not know, a required one missing, a value of the
wrong type. Objects (reply_markup, scope, media, entities, ...) are JSON-decoded and checked
field by field the same way, down to the buttons; an abstract type (BotCommandScope,
InputMedia) is checked as the subtype its "type" field names.

Values come as python-telegram-bot sends them, form-encoded (every value a string, objects as
JSON), or typed in a JSON body; both are accepted for a top-level parameter.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("bot_api_spec.json")
_INTEGER = re.compile(r"-?\d+")
_TRUE_FALSE = {"true", "false", "True", "False", "1", "0"}
_MAX_DEPTH = 8


@functools.cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    # Method names are case-insensitive for the server; keep the spelling of the spec.
    data["by_lower"] = {name.lower(): name for name in data["methods"]}
    return data


def check_request(method: str, params: dict[str, Any], uploads: dict[str, Any]) -> list[str]:
    """What is wrong with this request by the spec (empty when nothing is)."""
    data = spec()
    name = data["by_lower"].get(method.lower())
    if name is None:
        return [f"{method}: no such method in {data['version']}"]
    fields = _method_fields(name)
    problems = [f"{name}: unknown parameter {key!r}" for key in params if key not in fields]
    for key in uploads:
        # An upload is either a parameter itself or a part named by "attach://<name>".
        if key in fields and "InputFile" not in fields[key][0]:
            problems.append(f"{name}: {key!r} cannot be a file upload")
    for key, (types, required) in fields.items():
        present = key in params or key in uploads
        if required and not present:
            problems.append(f"{name}: required parameter {key!r} missing")
        if key in params:
            problem = _check_parameter(params[key], types, key in uploads)
            if problem:
                problems.append(f"{name}.{key}: {problem}")
    return problems


@functools.cache
def _method_fields(name: str) -> dict[str, tuple[list[str], bool]]:
    return {field: (types, required) for field, types, required in spec()["methods"][name]}


@functools.cache
def _type_fields(kind: str) -> dict[str, tuple[list[str], bool]]:
    definition = spec()["types"][kind]
    return {field: (sub, required) for field, sub, required in definition.get("fields", [])}


def _check_parameter(value: Any, types: list[str], uploaded: bool) -> str | None:
    """A top-level value: a form string (objects JSON-encoded) or a JSON-body value."""
    if isinstance(value, str) and any(_is_structured(t) for t in types):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict | list):
            return _check_value(decoded, types, 0)
    if isinstance(value, str):
        if any(_form_scalar_fits(value, t) for t in types):
            return None
        return f"{value[:40]!r} is not {' or '.join(types)}"
    return _check_value(value, types, 0)


def _is_structured(kind: str) -> bool:
    return kind.startswith("Array of ") or kind not in ("Integer", "Float", "String", "Boolean")


def _form_scalar_fits(value: str, kind: str) -> bool:
    if kind == "String":
        return True
    if kind == "Integer":
        return bool(_INTEGER.fullmatch(value))
    if kind == "Float":
        try:
            float(value)
        except ValueError:
            return False
        return True
    if kind == "Boolean":
        return value in _TRUE_FALSE
    return kind == "InputFile" and value.startswith("attach://")


def _check_value(value: Any, types: list[str], depth: int) -> str | None:
    """A JSON value against the spec's types (any one of them may fit)."""
    first: str | None = None
    for kind in types:
        problem = _check_one(value, kind, depth)
        if problem is None:
            return None
        first = first or problem
    return first if len(types) == 1 else f"fits none of {', '.join(types)}: {first}"


def _check_one(value: Any, kind: str, depth: int) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    if kind.startswith("Array of "):
        if not isinstance(value, list):
            return f"expected {kind}, got {type(value).__name__}"
        item = kind.removeprefix("Array of ")
        for number, element in enumerate(value):
            problem = _check_value(element, [item], depth + 1)
            if problem:
                return f"[{number}]: {problem}"
        return None
    if kind == "Integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "Float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "String":
        ok = isinstance(value, str)
    elif kind == "Boolean":
        ok = isinstance(value, bool)
    elif kind == "InputFile":
        ok = isinstance(value, str)  # "attach://<part>" inside an object
    else:
        return _check_object(value, kind, depth)
    return None if ok else f"expected {kind}, got {json.dumps(value, ensure_ascii=False)[:40]}"


def _check_object(value: Any, kind: str, depth: int) -> str | None:
    types = spec()["types"]
    definition = types.get(kind)
    if definition is None:
        return f"unknown type {kind}"
    if not isinstance(value, dict):
        return f"expected a {kind} object, got {type(value).__name__}"
    subtypes = definition.get("subtypes")
    if subtypes:
        for subtype in subtypes:
            tag = types.get(subtype, {}).get("tag")
            if tag is not None and value.get(tag[0]) == tag[1]:
                return _check_object(value, subtype, depth)
        return f"{kind}: no subtype matches {json.dumps(value, ensure_ascii=False)[:60]}"
    fields = _type_fields(kind)
    for key in value:
        if key not in fields:
            return f"{kind}: unknown field {key!r}"
    for key, (sub, required) in fields.items():
        if key not in value:
            if required:
                return f"{kind}: required field {key!r} missing"
            continue
        tag = definition.get("tag")
        if tag is not None and key == tag[0] and value[key] != tag[1]:
            return f"{kind}: {key} must be {tag[1]!r}"
        problem = _check_value(value[key], sub, depth + 1)
        if problem:
            return f"{kind}.{key}: {problem}"
    return None
