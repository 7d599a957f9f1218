"""Masking of phone numbers and secure inputs before anything reaches the database.

A "digit" here is any Unicode decimal digit (ASCII, full-width ０-９, ...) or a Chinese numeral
that speech recognisers emit for phone numbers (〇 零 一 幺 二 两 三 ... 九).

    mask_phone_like("call 138-0013-8000 before 2026-12-15")  # 'call ***-****-8000 before 2026-12-15'

Runs of 7 or more digits are masked (phone numbers, card numbers: a 16-digit card keeps its last 4).
Calendar dates written `YYYY-MM-DD` or `YYYY.MM.DD` (year 1900-2199, a real month and day, not
glued to more digits) are not personal numbers and stay readable; times (`10:30:00`) never form a
run. Compact dates (`20261215`) are indistinguishable from an 8-digit number and are masked.
"""

from __future__ import annotations

import re

CHINESE_DIGITS = "〇零一幺二两三四五六七八九"
KEEP = 4          # trailing digits left visible
NUMBER_RUN = 7    # a run of this many digits (or more) inside free text counts as a phone number

_DIGIT = rf"[\d{CHINESE_DIGITS}]"
# 7+ digits, optionally separated by up to two of space - . ( ) between digits; linear: the
# separator class and the digit class are disjoint.
_PHONE_LIKE = rf"\+?{_DIGIT}(?:[\s\-.()]{{0,2}}{_DIGIT}){{{NUMBER_RUN - 1},}}"
# An ISO-style calendar date: tried first at each position, so its digits are not taken for a number.
_DATE = r"(?<![\d+])(?:19|20|21)\d\d(?P<sep>[-.])(?:0[1-9]|1[0-2])(?P=sep)(?:0[1-9]|[12]\d|3[01])(?!\d|[-.]\d)"
_MASKABLE = re.compile(rf"(?P<date>{_DATE})|{_PHONE_LIKE}")


def is_digit(ch: str) -> bool:
    """True for a decimal digit of any script or a Chinese numeral."""
    return ch.isdecimal() or ch in CHINESE_DIGITS


_ASCII_DIGIT = re.compile(r"[0-9]")


def mask_number(number: str) -> str:
    """Every digit but the last four replaced by `*` (all of them when there are four or fewer)."""
    if number.isascii():  # the usual case, in C: the ASCII digits are the only digits there
        total = len(_ASCII_DIGIT.findall(number))
        return _ASCII_DIGIT.sub("*", number, count=total - KEEP if total > KEEP else total) \
            if total else number
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
    """`text` with every phone-number-like run of digits masked by mask_number (dates kept)."""
    return _MASKABLE.sub(lambda m: m.group(0) if m.group("date") else mask_number(m.group(0)), text)


def mask_secure(value: str) -> str:
    """A secure input as stored: one `*` per character, nothing else."""
    return "*" * len(value)
