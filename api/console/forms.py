"""A form the API's own request model refused, said in Vietnamese and naming the field.

Console forms are checked by the same pydantic models the API's routes read (``ResolveRequest``,
``SilenceCreate``, ``CaseOpen``...), so a limit lives in one place; this turns their refusal into the
error page's words.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ValidationError

from api.console.web import PageError


def _reason(error: Mapping[str, object]) -> str:
    kind = error.get("type")
    context = error.get("ctx")
    limits = context if isinstance(context, Mapping) else {}
    if kind == "string_too_long":
        return f"tối đa {limits.get('max_length')} ký tự"
    if kind == "string_too_short":
        least = limits.get("min_length")
        return "không được để trống" if least == 1 else f"cần ít nhất {least} ký tự"
    if kind == "missing":
        return "cần điền"
    if kind in ("enum", "literal_error"):
        return "giá trị không nằm trong danh sách"
    # Our own validators' messages (e.g. "'expires_at' is in the past") name the field themselves.
    return str(error.get("msg", "không hợp lệ")).removeprefix("Value error, ")


def form_error(exc: ValidationError, labels: Mapping[str, str], title: str = "Dữ liệu chưa hợp lệ") -> PageError:
    """A 422 page listing each refused field by its label in the form (``labels``: field → label)."""
    parts = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        field = location[0] if location else ""
        label = labels.get(field)
        reason = _reason(error)
        parts.append(f"Ô “{label}”: {reason}." if label else f"{reason}.")
    return PageError(422, title, " ".join(parts) + " Hãy sửa rồi gửi lại.")


def max_length(model: type[BaseModel], field: str) -> int | None:
    """The ``max_length`` the API's model sets on ``field`` (for the form's ``maxlength``: one home)."""
    for rule in model.model_fields[field].metadata:
        limit = getattr(rule, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None
