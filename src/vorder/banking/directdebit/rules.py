"""The SEPA direct debit rules as pure functions: identifiers, the TARGET2 calendar, lead times,
mandate expiry and the meaning of return reason codes.

No Django here, so the rules are tested without a database and read like the rulebook (EPC SEPA
Core and B2B Direct Debit Scheme Rulebooks, the 2016+ versions).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError as StdnumError


class SepaRuleError(ValueError):
    """Input that breaks a SEPA rule; the message says which rule and what to do."""


# -- character set and identifiers ---------------------------------------------------------------
# The EPC's basic Latin character set: what every SEPA bank must carry unchanged.
_SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
# Identifiers (mandate, end-to-end, message ids) use the same set; they must not start or end
# with '/' nor contain '//' (EPC implementation guidelines, "RestrictedPersonIdentifierSEPA").
_SEPA_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")


def sepa_text(text: str, length: int) -> str:
    """Text as the bank will carry it: accents dropped (é -> e), '&' as '+', other signs as
    spaces, cut to ``length``. Names in a collection file must survive every bank on the way."""
    plain = unicodedata.normalize("NFKD", text.replace("&", "+").replace("ß", "ss"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = _SEPA_TEXT.sub(" ", plain)
    return " ".join(plain.split())[:length].strip()


def sepa_identifier(value: str, what: str = "identifier") -> str:
    """Return the identifier stripped, or raise SepaRuleError naming the rule it breaks."""
    text = value.strip()
    if not _SEPA_ID.fullmatch(text):
        raise SepaRuleError(
            f"{what} '{value}' must be 1 to 35 characters of A-Z a-z 0-9 / - ? : ( ) . , ' + "
            "and space"
        )
    if text.startswith("/") or text.endswith("/") or "//" in text:
        raise SepaRuleError(f"{what} '{value}' may not start or end with '/' nor contain '//'")
    return text


def creditor_identifier_validate(value: str) -> str:
    """The SEPA creditor identifier (AT-02, e.g. NL08ZZZ502057730000) in compact upper case.

    Its check digits are ISO 7064 mod 97-10 over the national identifier followed by the country
    code and the check digits; the creditor business code (ZZZ) is skipped, as the EPC defines.
    """
    try:
        return str(at_02.validate(value))
    except StdnumError as exc:
        raise SepaRuleError(
            f"'{value}' is not a valid SEPA creditor identifier ({exc}); it looks like "
            "NL08ZZZ502057730000 or BE68ZZZ0123456789"
        ) from exc


# -- TARGET2 calendar and lead times -------------------------------------------------------------
@cache
def _target2_closed(year: int) -> dict[date, str]:
    # The ECB's TARGET2 closing days: New Year, Good Friday, Easter Monday, 1 May, 25 and 26
    # December.
    return dict(holidays.financial_holidays("XECB", years=year))


def target2_closed_reason(day: date) -> str | None:
    """Why TARGET2 does not settle on ``day`` (weekend or the holiday's name), or None."""
    if day.weekday() >= 5:
        return "a weekend"
    name = _target2_closed(day.year).get(day)
    return f"a TARGET2 holiday ({name})" if name else None


def target2_add_business_days(start: date, days: int) -> date:
    """The ``days``-th TARGET2 business day after ``start``; 0 gives ``start`` itself or the
    next open day."""
    day = start
    if days == 0:
        while target2_closed_reason(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if target2_closed_reason(day) is None:
            counted += 1
    return day


def collection_date_check(*, submitted_on: date, collection_date: date, lead_days: int) -> None:
    """Refuse a collection date the banks would refuse.

    The rule used: the requested collection date must be a TARGET2 business day, and at least
    ``lead_days`` TARGET2 business days after the day the file is submitted. The EPC rulebooks
    (since November 2016) require D-1 for Core and B2B, first and recurrent collections alike;
    banks add their own cut-off, so the creditor's setting may ask for more.
    """
    closed = target2_closed_reason(collection_date)
    if closed:
        raise SepaRuleError(
            f"collection date {collection_date.isoformat()} is {closed}: banks settle direct "
            f"debits on TARGET2 business days only; the next one is "
            f"{target2_add_business_days(collection_date, 1).isoformat()}"
        )
    earliest = target2_add_business_days(submitted_on, lead_days)
    if collection_date < earliest:
        raise SepaRuleError(
            f"collection date {collection_date.isoformat()} is too soon: a file submitted on "
            f"{submitted_on.isoformat()} needs {lead_days} TARGET2 business day(s) of lead time, "
            f"so the earliest collection date is {earliest.isoformat()}"
        )


# -- mandates ------------------------------------------------------------------------------------
MANDATE_EXPIRY_MONTHS = 36


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan + 1)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def mandate_expires_on(*, signed_on: date, last_collection_on: date | None) -> date:
    """A mandate that has not been used for 36 months expires (EPC rulebook, section 4.7.1)."""
    return add_months(last_collection_on or signed_on, MANDATE_EXPIRY_MONTHS)


# -- R-transactions: return and reject reason codes ----------------------------------------------
@dataclass(frozen=True, slots=True)
class ReturnReason:
    code: str
    description: str
    mandate_gone: bool  # the mandate cannot be used again: revoke it


_REASONS = {
    r.code: r
    for r in (
        ReturnReason("AC01", "account identifier incorrect (invalid IBAN)", False),
        ReturnReason("AC04", "account closed", True),
        ReturnReason("AC06", "account blocked for direct debit", True),
        ReturnReason("AC13", "debtor account is a consumer account (B2B not allowed)", True),
        ReturnReason("AG01", "direct debit forbidden on this account", True),
        ReturnReason("AG02", "operation code or transaction code incorrect", False),
        ReturnReason("AM04", "insufficient funds", False),
        ReturnReason("AM05", "duplicate collection", False),
        ReturnReason("BE05", "creditor identifier unknown", False),
        ReturnReason("CNOR", "creditor bank not registered", False),
        ReturnReason("DNOR", "debtor bank not registered", False),
        ReturnReason("FF01", "file format incomplete or invalid", False),
        ReturnReason("MD01", "no valid mandate (refused or revoked by the debtor)", True),
        ReturnReason("MD02", "mandate data missing or incorrect", False),
        ReturnReason("MD06", "refund requested by the debtor", False),
        ReturnReason("MD07", "debtor deceased", True),
        ReturnReason("MS02", "refused by the debtor (reason not specified)", False),
        ReturnReason("MS03", "reason not specified by the bank", False),
        ReturnReason("RC01", "bank identifier (BIC) incorrect", False),
        ReturnReason("RR01", "regulatory reason: debtor account or identification missing", False),
        ReturnReason("RR02", "regulatory reason: debtor name or address missing", False),
        ReturnReason("RR03", "regulatory reason: creditor name or address missing", False),
        ReturnReason("RR04", "regulatory reason", False),
        ReturnReason("SL01", "the debtor's bank blocks collections by this creditor", True),
    )
}


def return_reason(code: str) -> ReturnReason:
    """What a return code means; unknown codes are kept and described as such, never dropped."""
    clean = code.strip().upper()
    return _REASONS.get(clean, ReturnReason(clean, "reason code not known to vorder", False))
