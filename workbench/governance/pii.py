"""Personal data in prompt text: detectors and redaction to consistent placeholders.

The detectors favour precision over recall: a warning that fires on every order number or
date teaches people to click past it. So each pattern is followed by a check a random string
rarely passes (Luhn for cards, mod-97 for IBANs, the SSA's never-issued ranges for SSNs, a
parse for IP addresses, a shape test for phone numbers), and a number that the text itself
calls an order, invoice, ticket or version number is left alone.

Redaction replaces each distinct value with ``[KIND_n]`` and reuses that placeholder for the
same value everywhere in one request (or in a whole batch, when one ``Redactor`` is shared), so
the model still sees that "the customer" and "the e-mail in the signature" are one person.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

Message = dict[str, str]

KIND_LABELS: dict[str, str] = {
    "EMAIL": "e-mail address",
    "PHONE": "phone number",
    "CARD": "payment-card number",
    "SSN": "US social security number",
    "NINO": "UK national insurance number",
    "IBAN": "IBAN",
    "IP": "IP address",
    "NAME": "personal name",
}


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind (a ``KIND_LABELS`` key) and where it sits."""

    kind: str
    value: str
    start: int
    end: int

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


# ---- shared guards --------------------------------------------------------------------------

# "Order 123-456-7890", "invoice #4111 1111 1111 1111", "ticket no. 078-05-1120", "v1.2.3.4"
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:order|invoice|ticket|tracking|ref|reference|case|sku|item|part|po|serial|build|"
    r"version|ver|release)\b\s*(?:no\.?|number|num|id|code)?\s*[:#]?\s*|#\s*|\bv)$",
    re.IGNORECASE,
)


def _is_reference(text: str, start: int) -> bool:
    return bool(_REFERENCE_BEFORE.search(text[max(0, start - 30) : start]))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


# ---- e-mail ---------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b")


def find_emails(text: str) -> list[Finding]:
    return [Finding("EMAIL", m.group(), m.start(), m.end()) for m in _EMAIL.finditer(text)]


# ---- payment cards --------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\w.,/-])\d(?:[ -]?\d){12,18}(?![\w/-]|[.,]\d)")
# Issuer prefixes of the networks people paste: Visa, Mastercard, Amex, Discover, JCB, Diners,
# UnionPay, Maestro. A Luhn-valid number outside them is more likely an account or parcel id.
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6011|65|64[4-9]|35|30[0-5]|36|38|39|62|5[06-8]|6[37])")


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        checksum += d
    return checksum % 10 == 0


def _consistent_groups(value: str) -> bool:
    """One kind of separator (or none): "4111 1111-1111 1111" is not how cards are written."""
    return len(set(re.findall(r"[ -]", value))) <= 1


def find_cards(text: str) -> list[Finding]:
    found = []
    for m in _CARD.finditer(text):
        number = _digits(m.group())
        if (
            13 <= len(number) <= 19
            and _consistent_groups(m.group())
            and _CARD_PREFIX.match(number)
            and luhn_valid(number)
            and not _is_reference(text, m.start())
        ):
            found.append(Finding("CARD", m.group(), m.start(), m.end()))
    return found


# ---- US social security numbers -------------------------------------------------------------

_SSN = re.compile(r"(?<![\w.-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-]|\.\d)")
_SSN_BARE = re.compile(r"\b(?:ssn|social security(?: number)?)\s*(?:no\.?|number|#)?\s*:?\s*(\d{9})\b", re.I)


def _ssn_issuable(area: str, group: str, serial: str) -> bool:
    """The SSA never issues area 000, 666 or 900-999, group 00 or serial 0000."""
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


def find_ssns(text: str) -> list[Finding]:
    found = []
    for m in _SSN.finditer(text):
        if _ssn_issuable(m.group(1), m.group(3), m.group(4)) and not _is_reference(text, m.start()):
            found.append(Finding("SSN", m.group(), m.start(), m.end()))
    for m in _SSN_BARE.finditer(text):
        value = m.group(1)
        if _ssn_issuable(value[:3], value[3:5], value[5:]):
            found.append(Finding("SSN", value, m.start(1), m.end(1)))
    return found


# ---- UK national insurance numbers ----------------------------------------------------------

_NINO = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)


def find_ninos(text: str) -> list[Finding]:
    return [Finding("NINO", m.group(), m.start(), m.end()) for m in _NINO.finditer(text)]


# ---- IBAN -----------------------------------------------------------------------------------

# Lengths of the IBAN registry's most common countries; other codes need a plausible length.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CY": 28,
    "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23,
    "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "UA": 29,
}  # fmt: skip
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")


def iban_valid(value: str) -> bool:
    iban = value.replace(" ", "").upper()
    expected = IBAN_LENGTHS.get(iban[:2])
    if (expected and len(iban) != expected) or not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def find_ibans(text: str) -> list[Finding]:
    return [
        Finding("IBAN", m.group(), m.start(), m.end()) for m in _IBAN.finditer(text) if iban_valid(m.group())
    ]


# ---- IP addresses ---------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?=[0-9A-Fa-f:]*\d)[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


def _identifies_someone(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, unspecified and multicast addresses name no person's device."""
    return not (address.is_loopback or address.is_unspecified or address.is_multicast)


def find_ips(text: str) -> list[Finding]:
    found = []
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            try:
                address = ipaddress.ip_address(m.group())
            except ValueError:
                continue
            if _identifies_someone(address) and not _is_reference(text, m.start()):
                found.append(Finding("IP", m.group(), m.start(), m.end()))
    return found


# ---- phone numbers --------------------------------------------------------------------------

_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?(?:\(\d{1,5}\)|\d{1,5})){2,6}(?![\w]|[.-]\d)")
_PHONE_NANP = re.compile(r"(?<![\w.+-])(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w]|[.-]\d)")
_PHONE_NATIONAL = re.compile(r"(?<![\w.+-])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?![\w]|[.-]\d)")
_PHONE_CUE = re.compile(r"\b(?:phone|tel|telephone|mobile|cell|call|fax|whatsapp)\b\s*[.:#]?\s*$", re.I)
_PHONE_BARE = re.compile(r"(?<![\w.+-])\+?\d{10,13}(?![\w]|[.-]\d)")


def find_phones(text: str) -> list[Finding]:
    found = []
    for pattern in (_PHONE_INTL, _PHONE_NANP, _PHONE_NATIONAL):
        for m in pattern.finditer(text):
            if 7 <= len(_digits(m.group())) <= 15 and not _is_reference(text, m.start()):
                found.append(Finding("PHONE", m.group(), m.start(), m.end()))
    # Unformatted digit runs are phone numbers only when the text says so ("call 5551234567").
    for m in _PHONE_BARE.finditer(text):
        if _PHONE_CUE.search(text[max(0, m.start() - 20) : m.start()]):
            found.append(Finding("PHONE", m.group(), m.start(), m.end()))
    return found


# ---- names from the project's list ----------------------------------------------------------


def find_names(text: str, names: Iterable[str]) -> list[Finding]:
    """Whole-word, case-insensitive matches of the project's listed names, longest first."""
    wanted = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not wanted:
        return []
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, n.split())) for n in wanted) + r")(?!\w)",
        re.IGNORECASE,
    )
    return [Finding("NAME", m.group(), m.start(), m.end()) for m in pattern.finditer(text)]


# ---- scanning and redaction -----------------------------------------------------------------

# Order matters on overlap: the more specific, checksum-backed detectors win.
DETECTORS: tuple[Callable[[str], list[Finding]], ...] = (
    find_emails,
    find_ibans,
    find_cards,
    find_ssns,
    find_ninos,
    find_ips,
    find_phones,
)


def scan(text: str, names: Iterable[str] = ()) -> list[Finding]:
    """Every finding in ``text``, in order, without overlaps."""
    found = _kept_scan(text, tuple(names)) if len(text) <= KEPT_SCAN_CHARS else _scan(text, tuple(names))
    return list(found)


KEPT_SCAN_CHARS = 20_000  # longer texts (a document's context) are scanned anew rather than kept


@lru_cache(maxsize=256)
def _kept_scan(text: str, names: tuple[str, ...]) -> tuple[Finding, ...]:
    """Kept per text: a run checks the same system prompt before every call, and the data policy
    checks every message once before the run starts and again at each call."""
    return _scan(text, names)


def _scan(text: str, names: tuple[str, ...]) -> tuple[Finding, ...]:
    candidates = [f for detector in DETECTORS for f in detector(text)] + find_names(text, names)
    priority = {
        kind: i for i, kind in enumerate(["EMAIL", "IBAN", "CARD", "SSN", "NINO", "IP", "PHONE", "NAME"])
    }
    chosen: list[Finding] = []
    for finding in sorted(candidates, key=lambda f: (priority[f.kind], -(f.end - f.start), f.start)):
        if all(finding.end <= c.start or finding.start >= c.end for c in chosen):
            chosen.append(finding)
    return tuple(sorted(chosen, key=lambda f: f.start))


def normalise(kind: str, value: str) -> str:
    """The identity of a value, so "Dana Smith" and "dana  smith" share one placeholder."""
    if kind in {"PHONE", "CARD", "SSN"}:
        return _digits(value)
    if kind in {"IBAN", "NINO"}:
        return value.replace(" ", "").upper()
    if kind == "IP":
        return str(ipaddress.ip_address(value))
    return " ".join(value.split()).casefold()


@dataclass
class Redactor:
    """Hands out ``[KIND_n]`` placeholders; one instance per request (or per batch)."""

    names: Sequence[str] = ()
    placeholders: dict[tuple[str, str], str] = field(default_factory=dict)

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, normalise(kind, value))
        if key not in self.placeholders:
            count = sum(1 for k in self.placeholders if k[0] == kind)
            self.placeholders[key] = f"[{kind}_{count + 1}]"
        return self.placeholders[key]

    def text(self, text: str) -> str:
        out, last = [], 0
        for f in scan(text, self.names):
            out.append(text[last : f.start])
            out.append(self.placeholder(f.kind, f.value))
            last = f.end
        out.append(text[last:])
        return "".join(out)

    def messages(self, messages: Sequence[Message]) -> list[Message]:
        return [{**m, "content": self.text(m.get("content", ""))} for m in messages]


def redact_value(redactor: Redactor, value: object) -> object:
    """A value (text, or lists and mappings of them, e.g. a row's variables) with its personal
    data replaced by ``redactor``'s placeholders; other values as they are."""
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, dict):
        return {key: redact_value(redactor, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(redactor, item) for item in value]
    return value


def redact_messages(messages: Sequence[Message], names: Sequence[str] = ()) -> list[Message]:
    """A redacted copy of one request's messages (the same value -> the same placeholder)."""
    return Redactor(names=names).messages(messages)


def scan_messages(messages: Sequence[Message], names: Iterable[str] = ()) -> list[Finding]:
    names = list(names)
    return [f for m in messages for f in scan(m.get("content", ""), names)]


def summarise(findings: Sequence[Finding]) -> dict[str, int]:
    """Distinct values found per kind label, e.g. {"e-mail address": 2}; values never leave."""
    distinct: dict[str, set[str]] = {}
    for f in findings:
        distinct.setdefault(f.label, set()).add(normalise(f.kind, f.value))
    return {label: len(values) for label, values in sorted(distinct.items())}
