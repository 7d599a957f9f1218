"""Contact import: several numbers per contact, time zones, custom fields, malformed rows by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.campaigns import ContactFileError, read_contacts

ROOT = Path(__file__).resolve().parents[3]
CSV = Path("contacts.csv")


def read(text: str, **options):
    return read_contacts(CSV, text=text, **options)


def test_renewals_csv_imports_every_contact_with_all_its_numbers():
    result = read_contacts(ROOT / "flows" / "contacts" / "renewals.csv")
    assert not result.problems
    first = result.contacts[0]
    assert first.id == "RN-2026-0001" and first.name == "张伟"
    assert first.numbers == ("+8613800000101", "+862100000101")  # empty phone_work skipped
    assert first.timezone == "Asia/Shanghai" and first.language == "zh-CN"
    assert first.fields == {"plan": "星海畅享199", "contract_end": "2026-12-31", "monthly_fee": "199",
                            "offer_code": "LOYAL-30"}
    assert {c.timezone for c in result.contacts} >= {"Asia/Shanghai", "Asia/Urumqi"}


def test_malformed_rows_are_reported_with_their_line_numbers_and_skipped():
    text = ("contact_id,name,phone1,phone2,timezone,plan\n"
            "A1,Ann,+86 138-0000-0001,,Asia/Shanghai,gold\n"       # line 2: fine
            "A2,Bob,+8613800000002\n"                              # line 3: too few fields
            ",Cy,+8613800000003,,UTC,x\n"                          # line 4: no id
            "A4,Di,not a number,,UTC,x\n"                          # line 5: no valid number
            "A5,Ed,+8613800000005,,Mars/Olympus,x\n"               # line 6: unknown zone
            "A1,Fay,+8613800000006,,UTC,x\n"                       # line 7: duplicate id
            "\n"                                                   # line 8: blank, ignored
            "A8,\"Gus, Jr\",+8613800000008,+8613800000088,,silver\n")  # line 9: fine, default zone
    result = read(text, default_timezone="Europe/Paris")
    assert [c.id for c in result.contacts] == ["A1", "A8"]
    assert [line for line, _ in result.problems] == [3, 4, 5, 6, 7]
    messages = dict(result.problems)
    assert "the header has 6" in messages[3]
    assert "empty contact_id" in messages[4]
    assert "no valid telephone number" in messages[5]
    assert "Mars/Olympus" in messages[6]
    assert "already on line 2" in messages[7]
    assert result.contacts[0].numbers == ("+8613800000001",)
    assert result.contacts[1].numbers == ("+8613800000008", "+8613800000088")
    assert result.contacts[1].timezone == "Europe/Paris" and result.contacts[1].name == "Gus, Jr"
    assert result.contacts[1].fields == {"plan": "silver"}
    assert result.summary() == "2 contact(s) (3 number(s)) imported, 5 row(s) skipped, 0 warning(s)"


def test_a_bad_number_beside_a_good_one_is_a_warning_not_a_skip():
    result = read("contact_id,phone_a,phone_b\nX,+8613800000001,12ab\n")
    assert [c.numbers for c in result.contacts] == [("+8613800000001",)]
    assert result.warnings == [(2, "not a telephone number in phone_b (ignored)")]


def test_the_time_zone_column_can_be_renamed():
    result = read("contact_id,phone,tz\nX,+12125550100,America/New_York\n", timezone_field="tz")
    assert result.contacts[0].timezone == "America/New_York" and result.contacts[0].fields == {}


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("name,phone\nA,+8613800000001\n", "no `contact_id` column"),
    ("contact_id,name\nA,B\n", "no phone column"),
    ("contact_id,phone,Phone\nA,1,2\n", "duplicate column"),
])
def test_a_file_that_cannot_be_imported_at_all_is_one_clear_error(text, message):
    with pytest.raises(ContactFileError, match=message):
        read(text)


def test_an_unreadable_file_is_a_contact_file_error(tmp_path):
    with pytest.raises(ContactFileError, match="cannot read"):
        read_contacts(tmp_path / "missing.csv")
