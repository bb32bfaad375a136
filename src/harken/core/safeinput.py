"""Hostile-input checks shared by the request guard (`core.middleware`) and channels.

PostgreSQL refuses NUL characters in text and cannot store unpaired UTF-16 surrogates; SQLite
and PostgreSQL refuse integers outside signed 64 bits; deeply nested JSON exhausts recursion in
whatever walks it next. Harken *rejects* such input with a clear 4xx (it never changes what a
client sent behind its back); only inbound email, whose sender cannot be asked again, is cleaned
with `strip_nul` and kept.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_INT = re.compile(r"^[+-]?\d+$")


def text_problem(value: str) -> str:
    """Why a string cannot be stored, or ""."""
    if "\x00" in value:
        return "Text must not contain NUL (\\x00) characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must not contain unpaired UTF-16 surrogates (such as \\ud800); send valid Unicode."
    return ""


def int_problem(value: int) -> str:
    if not INT_MIN <= value <= INT_MAX:
        return "Numbers must fit in 64 bits (between -9223372036854775808 and 9223372036854775807)."
    return ""


def query_value_problem(value: str) -> str:
    problem = text_problem(value)
    if not problem and _INT.match(value.strip()) and len(value) > 18:
        problem = int_problem(int(value))
    return problem


def json_problem(data: Any, max_depth: int = MAX_DEPTH) -> tuple[str, str]:
    """The first (field path, problem) in a decoded JSON value, or ("", "")."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > max_depth:
            return path or "__all__", f"JSON is nested more than {max_depth} levels deep."
        if isinstance(value, dict):
            for key, item in value.items():
                problem = text_problem(str(key))
                if problem:
                    return path or "__all__", problem
                stack.append((item, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, path, depth + 1) for item in value)
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return path or "__all__", problem
        elif isinstance(value, int) and not isinstance(value, bool):
            problem = int_problem(value)
            if problem:
                return path or "__all__", problem
    return "", ""


def strip_nul(value: str) -> str:
    return value.replace("\x00", "")
