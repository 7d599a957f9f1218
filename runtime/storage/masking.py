"""Masking of phone numbers and secure inputs before anything reaches the database.

A "digit" here is any Unicode decimal digit (ASCII, full-width ０-９, ...) or a Chinese numeral
that speech recognisers emit for phone numbers (〇 零 一 幺 二 两 三 ... 九).
"""

from __future__ import annotations

import re

CHINESE_DIGITS = "〇零一幺二两三四五六七八九"
KEEP = 4          # trailing digits left visible
NUMBER_RUN = 7    # a run of this many digits (or more) inside free text counts as a phone number

_DIGIT = rf"[\d{CHINESE_DIGITS}]"
# 7+ digits, optionally separated by up to two of space - . ( ) between digits; linear: the
# separator class and the digit class are disjoint.
_PHONE_LIKE = re.compile(rf"\+?{_DIGIT}(?:[\s\-.()]{{0,2}}{_DIGIT}){{{NUMBER_RUN - 1},}}")


def is_digit(ch: str) -> bool:
    """True for a decimal digit of any script or a Chinese numeral."""
    return ch.isdecimal() or ch in CHINESE_DIGITS


def mask_number(number: str) -> str:
    """Every digit but the last four replaced by `*` (all of them when there are four or fewer)."""
    total = sum(1 for ch in number if is_digit(ch))
    visible_from = total - KEEP if total > KEEP else total
    out, seen = [], 0
    for ch in number:
        if is_digit(ch):
            out.append(ch if seen >= visible_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_phone_like(text: str) -> str:
    """`text` with every phone-number-like run of digits masked by mask_number."""
    return _PHONE_LIKE.sub(lambda m: mask_number(m.group(0)), text)


def mask_secure(value: str) -> str:
    """A secure input as stored: one `*` per character, nothing else."""
    return "*" * len(value)
