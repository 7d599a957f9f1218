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


@pytest.mark.parametrize("text", [
    "2026-12-15",                                            # a date variable (contract_end)
    "2026.12.15",
    "2026-12-15T10:30:00+08:00",
    "2026-12-15 10:30:15",
    "10:30:15",
    "due 1999-01-31, paid 2100-02-29",
    "2026年12月15日",
])
def test_dates_and_times_stay_readable(text: str) -> None:
    assert mask_phone_like(text) == text


@pytest.mark.parametrize("text, masked", [
    ("2026-13-15", "****-13-15"),                           # no month 13: not a date, a number
    ("2026-12-32", "****-12-32"),
    ("1800-12-15", "****-12-15"),                           # outside 1900-2199
    ("2026-12-151234", "****-**-**1234"),                   # glued to more digits
    ("2026-12-15-8000", "****-**-**-8000"),
    ("20261215", "****1215"),                               # compact: indistinguishable from a number
    ("on 2026-12-15 call 138-0013-8000", "on 2026-12-15 call ***-****-8000"),
    ("4111 1111 1111 1111", "**** **** **** 1111"),         # a Luhn-valid card run
    ("4111-2026-1215-1111", "****-****-****-1111"),         # a card with date-like groups
    ("card 2026-12-15 4111", "card 2026-12-15 4111"),
])
def test_numbers_that_are_not_dates_are_masked(text: str, masked: str) -> None:
    assert mask_phone_like(text) == masked


def test_a_date_variable_is_stored_readable_and_a_phone_variable_masked(tmp_path) -> None:
    from runtime.storage import open_store

    with open_store(f"sqlite:///{tmp_path / 'm.db'}") as store:
        store.call_started("c1", "renewal_campaign", "1", "+8613800138000", "8001", "outbound", 0.0, "zh-CN")
        store.variables("c1", {"contract_end": "2026-12-15", "callback_number": "+8613800138000",
                               "card": "4111111111111111"})
        store.call_ended("c1", 1.0, "completed", "bye", "done")
        store.flush()
        record = store.get_call("c1")
    assert record.variables["contract_end"] == "2026-12-15"
    assert record.variables["callback_number"] == "+*********8000"
    assert record.variables["card"] == "************1111"
