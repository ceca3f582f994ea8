"""The API's errors: a JSON body `{"error": code, "message": what to fix}` with its HTTP status."""

from __future__ import annotations

from aiohttp import web


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> web.Response:
        return web.json_response(
            {"error": self.code, "message": self.message}, status=self.status, headers=self.headers
        )


def bad_input(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def invalid(message: str) -> ApiError:
    return ApiError(422, "invalid", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)
