"""A form the API's own request model refused, said in Vietnamese and naming the field.

Console forms are checked by the same pydantic models the API's routes read (``ResolveRequest``,
``SilenceCreate``, ``CaseOpen``...), so a limit lives in one place; this turns their refusal into the
error page's words.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ValidationError

from api.console.web import PageError

# What each kind of refusal means, in the words of a form (pydantic's error types).
_PROBLEMS = {
    "missing": "cần được điền",
    "string_too_short": "cần được điền",
    "too_short": "cần ít nhất một mục",
    "too_long": "quá nhiều mục",
    "url_parsing": "không phải một đường dẫn hợp lệ (bắt đầu bằng http:// hoặc https://)",
    "url_scheme": "không phải một đường dẫn hợp lệ (bắt đầu bằng http:// hoặc https://)",
    "enum": "không phải một lựa chọn hợp lệ",
    "literal_error": "không phải một lựa chọn hợp lệ",
    "datetime_from_date_parsing": "không phải thời điểm hợp lệ (ngày và giờ)",
    "datetime_parsing": "không phải thời điểm hợp lệ (ngày và giờ)",
    "int_parsing": "cần một số nguyên",
    "float_parsing": "cần một số",
}


# Refusals that break a bound, said with the bound (pydantic's ``ctx``).
_BOUNDED = {
    "string_too_long": lambda b: f"tối đa {b.get('max_length')} ký tự",
    "greater_than_equal": lambda b: f"cần ≥ {b.get('ge')}",
    "greater_than": lambda b: f"cần > {b.get('gt')}",
    "less_than_equal": lambda b: f"cần ≤ {b.get('le')}",
    "less_than": lambda b: f"cần < {b.get('lt')}",
    "string_pattern_mismatch": lambda b: f"không đúng dạng cho phép (mẫu {b.get('pattern')})",
}


def reason(kind: str, message: str, limits: Mapping[str, object] | None = None) -> str:
    """A refusal of kind ``kind`` (pydantic's error type) in Vietnamese; our own validators' messages, which
    name the field themselves (e.g. "'expires_at' is in the past"), are kept as written."""
    bounds = limits or {}
    if kind == "string_too_short" and bounds.get("min_length") not in (None, 1):
        return f"cần ít nhất {bounds.get('min_length')} ký tự"
    if kind in _BOUNDED:
        return _BOUNDED[kind](bounds)
    return _PROBLEMS.get(kind, message.removeprefix("Value error, "))


def _reason(error: Mapping[str, object]) -> str:
    context = error.get("ctx")
    message = str(error.get("msg", "chưa hợp lệ"))
    return reason(str(error.get("type")), message, context if isinstance(context, Mapping) else None)


def form_problem(exc: ValidationError, labels: Mapping[str, str]) -> str:
    """One sentence per refused field, naming it as the form labels it (``labels``: field → label)."""
    sentences = []
    for error in exc.errors():
        field = next((str(part) for part in error.get("loc", ()) if isinstance(part, str)), "")
        label = labels.get(field)
        reason = _reason(error)
        sentences.append(f"Ô “{label}”: {reason}." if label else f"{reason[:1].upper()}{reason[1:]}.")
    return " ".join(dict.fromkeys(sentences)) + " Hãy sửa rồi gửi lại."


def form_error(exc: ValidationError, labels: Mapping[str, str], title: str = "Dữ liệu chưa hợp lệ") -> PageError:
    """A 422 page listing each refused field by its label in the form."""
    return PageError(422, title, form_problem(exc, labels))


def max_length(model: type[BaseModel], field: str) -> int | None:
    """The ``max_length`` the API's model sets on ``field`` (for the form's ``maxlength``: one home)."""
    for rule in model.model_fields[field].metadata:
        limit = getattr(rule, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None
