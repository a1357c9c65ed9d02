"""The API's JSON responses and its one error shape: a code and a message in Chinese and English."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

# code -> (HTTP status, zh lead-in); the English detail comes from the failure itself.
CODES: dict[str, tuple[int, str]] = {
    "unauthorized": (401, "需要有效的访问凭据"),
    "forbidden": (403, "无权执行此操作"),
    "not_found": (404, "未找到"),
    "bad_request": (400, "请求有误"),
    "not_ready": (409, "任务尚未完成"),
    "conflict": (409, "请求冲突"),
    "internal": (500, "服务器内部错误"),
}


def json_response(payload: Any, status: int = 200) -> Response:
    """JSON with the keys in the order the code built them (flask's jsonify sorts them)."""
    return Response(json.dumps(payload, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json")


class ApiError(Exception):
    """A refusal the API answers with its JSON error shape."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_response(code: str, message: str) -> Response:
    """`{"error": {"code", "message": {"zh", "en"}}}` with the code's HTTP status."""
    status, zh = CODES[code]
    return json_response({"error": {"code": code, "message": {"zh": f"{zh}：{message}", "en": message}}}, status)
