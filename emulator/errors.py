"""The errors the Bot API answers with: {"ok": false, "error_code", "description"[, "parameters"]}."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response; raised anywhere while handling a method, answered by the server."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def blocked() -> ApiError:
    return ApiError(403, "Forbidden: bot was blocked by the user")
