"""PII detectors: each one on values it must find AND look-alikes it must leave alone."""

from __future__ import annotations

import pytest

from workbench.governance import pii


def kinds(text: str, names: list[str] | None = None) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in pii.scan(text, names or [])]


@pytest.mark.parametrize(
    "value", ["dana.smith@example.com", "a+tag@mail.co.uk", "ops_team-2@sub.example.org"]
)
def test_emails_are_found(value: str) -> None:
    assert kinds(f"Write to {value} today.") == [("EMAIL", value)]


@pytest.mark.parametrize(
    "text", ["pip install pkg@1.2.3", "ping @dana on chat", "user@localhost", "2 @ $3 each", "a@b"]
)
def test_email_look_alikes_are_ignored(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "value",
    [
        "+44 20 7946 0958",
        "+1 (555) 123-4567",
        "+4915123456789",
        "(555) 123-4567",
        "555-123-4567",
        "555.123.4567",
        "1-555-123-4567",
        "020 7946 0958",
        "07700 900123",
    ],
)
def test_phone_numbers_are_found(value: str) -> None:
    assert kinds(f"Reach me on {value}, thanks") == [("PHONE", value)]


def test_a_phone_number_in_brackets_leaves_the_closing_bracket_alone() -> None:
    assert kinds("Dana (+44 20 7946 0958) called") == [("PHONE", "+44 20 7946 0958")]
    assert kinds("Dana (+1 (555) 123-4567)") == [("PHONE", "+1 (555) 123-4567")]


def test_an_unformatted_number_is_a_phone_only_when_the_text_says_so() -> None:
    assert kinds("Call 5551234567 after five") == [("PHONE", "5551234567")]
    assert kinds("Mobile: 07700900123") == [("PHONE", "07700900123")]
    assert kinds("Batch 5551234567 shipped") == []


@pytest.mark.parametrize(
    "text",
    [
        "Order 123-456-7890 is late",
        "order #5551234567",
        "Invoice no. 555.123.4567",
        "Placed on 2023-05-01, due 05/10/2023",
        "Released 2023.05.01 as version 1.2.3",
        "Total $1,234.56 or €1.234,56",
        "Order 12345678 is being processed",
        "ISBN 978-3-16-148410-0",
        "Meeting 10:30-11:45, room 0207",
        "Population 67 000 000",
        "+5 points",
    ],
)
def test_phone_look_alikes_are_ignored(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "value",
    ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "378282246310005", "5555555555554444"],
)
def test_card_numbers_are_found(value: str) -> None:
    assert kinds(f"Card: {value} exp 12/27") == [("CARD", value)]


@pytest.mark.parametrize(
    "text",
    [
        "Card 4111 1111 1111 1112",  # fails Luhn
        "Order 4111111111111111 was shipped",  # called an order number
        "Ref 1234567812345670",  # Luhn-valid, but no card network starts with 1
        "Parcel 9999999999999995",  # Luhn-valid, no card network starts with 99
        "4111 1111-1111 1111",  # mixed separators
        "Tracking 94001000000000000000000",  # too long
    ],
)
def test_card_look_alikes_are_ignored(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize("value", ["123-45-6789", "078-05-1120", "219 09 9999"])
def test_ssns_are_found(value: str) -> None:
    assert kinds(f"SSN on file {value}.") == [("SSN", value)]


def test_a_bare_ssn_is_found_after_its_name() -> None:
    assert kinds("Social security number: 123456789") == [("SSN", "123456789")]
    assert kinds("Batch 123456789") == []


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",  # 9xx is never issued (ITINs)
        "123-00-4567",
        "123-45-0000",
        "ticket 123-45-6789",
        "123-45-67890",
        "12-345-6789",
    ],
)
def test_ssn_look_alikes_are_ignored(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize("value", ["AB 12 34 56 C", "AB123456C", "JG103759A"])
def test_uk_national_insurance_numbers_are_found(value: str) -> None:
    assert kinds(f"NI number {value}") == [("NINO", value)]


@pytest.mark.parametrize(
    "text", ["QQ123456C", "GB123456A", "AB123456E", "ab123456c", "AO123456C", "AB1234567C"]
)
def test_ni_look_alikes_are_ignored(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "value", ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR14 2004 1010 0505 0001 3M02 606"]
)
def test_ibans_are_found(value: str) -> None:
    assert kinds(f"Pay to {value} please") == [("IBAN", value)]


@pytest.mark.parametrize(
    "text",
    [
        "GB82 WEST 1234 5698 7654 33",  # checksum off by one
        "DE89370400440532013001",
        "AB12 CDEF GHIJ KLMN",
        "GB82WEST123456987654",  # wrong length for GB
        "Part XY12 3456 7890",
    ],
)
def test_iban_look_alikes_are_ignored(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize("value", ["192.168.1.20", "203.0.113.7", "2001:db8::1", "fe80::1ff:fe23:4567:890a"])
def test_ip_addresses_are_found(value: str) -> None:
    assert kinds(f"Login from {value} failed") == [("IP", value)]


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3.4",
        "v10.0.0.1",
        "999.1.1.1",
        "127.0.0.1",
        "::1",
        "at 12:30:45",
        "pi is 3.14",
        "1.2.3.4.5",
        "std::vector",
    ],
)
def test_ip_look_alikes_are_ignored(text: str) -> None:
    assert kinds(text) == []


def test_names_from_the_projects_list_are_found_as_whole_words() -> None:
    names = ["Dana Smith", "Okafor"]
    text = "dana  smith wrote to Mr Okafor; Okaforville and Smithson are places; Smith alone is not listed."
    assert kinds(text, names) == [("NAME", "dana  smith"), ("NAME", "Okafor")]
    assert kinds("Dana Smith", []) == []


def test_everyday_business_text_has_no_findings() -> None:
    text = (
        "Order #12345678 placed 2023-05-01 for $1,299.99 (3 items, SKU 4417-22) is being processed; "
        "expected delivery 05/10/2023 at 14:30. App version 2.4.1, build 20230501.1. Call us any time."
    )
    assert kinds(text) == []


def test_overlapping_matches_keep_the_more_specific_kind() -> None:
    text = "IBAN DE89 3704 0044 0532 0130 00 and card 4111 1111 1111 1111"
    assert [k for k, _ in kinds(text)] == ["IBAN", "CARD"]


def test_redaction_uses_one_placeholder_per_value_across_messages() -> None:
    messages = [
        {"role": "system", "content": "Never reveal dana@example.com."},
        {
            "role": "user",
            "content": "From DANA@example.com and lee@example.com, phone +44 20 7946 0958. Dana Smith",
        },
    ]
    redacted = pii.redact_messages(messages, names=["Dana Smith"])
    assert redacted[0] == {"role": "system", "content": "Never reveal [EMAIL_1]."}
    assert redacted[1]["content"] == "From [EMAIL_1] and [EMAIL_2], phone [PHONE_1]. [NAME_1]"
    assert messages[0]["content"] == "Never reveal dana@example.com."  # the input is untouched
    assert pii.scan_messages(redacted, ["Dana Smith"]) == []


def test_one_redactor_keeps_placeholders_stable_across_a_batch() -> None:
    redactor = pii.Redactor()
    first = redactor.text("a@example.com then b@example.com")
    second = redactor.text("b@example.com again")
    assert (first, second) == ("[EMAIL_1] then [EMAIL_2]", "[EMAIL_2] again")


def test_summary_counts_distinct_values_by_kind() -> None:
    findings = pii.scan("a@example.com, A@example.com, b@example.com, 192.168.1.20")
    assert pii.summarise(findings) == {"IP address": 1, "e-mail address": 2}
