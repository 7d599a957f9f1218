"""Masking: phone numbers keep their last four digits; secure inputs keep nothing but length."""

from __future__ import annotations

import pytest

from runtime.storage import mask_number, mask_phone_like, mask_secure


@pytest.mark.parametrize("number, masked", [
    ("+8613800138000", "+*********8000"),
    ("13800138000", "*******8000"),
    ("010-6552-8000", "***-****-8000"),
    ("+1 (415) 555-0100", "+* (***) ***-0100"),
    ("12345", "*2345"),
    ("1234", "****"),
    ("123", "***"),
    ("+12", "+**"),
    ("", ""),
    ("anonymous", "anonymous"),
    ("sip:8001@pbx", "sip:****@pbx"),
    ("１３８００１３８０００", "*******８０００"),   # full-width digits
    ("一三八〇〇一三八〇〇〇", "*******八〇〇〇"),           # Chinese numerals from speech
])
def test_mask_number(number: str, masked: str) -> None:
    assert mask_number(number) == masked


@pytest.mark.parametrize("text, masked", [
    ("1", "1"),
    ("press 2 for billing", "press 2 for billing"),
    ("123456", "123456"),                                    # six digits: not a phone number
    ("1234567", "***4567"),
    ("13800138000", "*******8000"),
    ("my number is +86 138 0013 8000.", "my number is +** *** **** 8000."),
    ("call 138-0013-8000 or 010 6552 8000", "call ***-****-8000 or *** **** 8000"),
    ("我的电话是一三八零零一三八零零零", "我的电话是*******八零零零"),
    ("幺三八 零零幺三 八零零零", "*** **** 八零零零"),
    ("order 2024 at 10:30", "order 2024 at 10:30"),
])
def test_mask_phone_like(text: str, masked: str) -> None:
    assert mask_phone_like(text) == masked


@pytest.mark.parametrize("value", ["", "0", "918273", "my secret phrase"])
def test_mask_secure_keeps_only_length(value: str) -> None:
    assert mask_secure(value) == "*" * len(value)
