"""Money as an exact Decimal with its currency.

Why not float: 0.1 + 0.2 != 0.3, and a statement of account must add up to the cent. Why not bare
Decimal: adding euros to dollars must fail loudly. Amounts are quantized to the currency's minor
unit on construction, so a Money is always a value that can be paid; rounding of intermediate
results (interest, percentages) happens once, at a named step, with ROUND_HALF_UP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from vorder.domain.errors import CurrencyMismatch, InvalidAmount

# ISO 4217 minor units for currencies that do not use two decimals. Everything else uses two.
_EXPONENTS: dict[str, int] = {
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "HUF": 2,
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency, 2)


def check_currency(currency: str) -> str:
    """Return the ISO 4217 code in upper case, or raise InvalidAmount."""
    code = currency.strip().upper()
    if not _CURRENCY.match(code):
        raise InvalidAmount(f"'{currency}' is not an ISO 4217 currency code")
    return code


def quantum(currency: str) -> Decimal:
    """The smallest payable step of the currency, as a Decimal exponent (Decimal('0.01'))."""
    return Decimal(1).scaleb(-exponent(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up: the one rounding rule of vorder."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, always in whole minor units.

    >>> Money(Decimal("10.005"), "EUR")
    Traceback (most recent call last):
    ...
    vorder.domain.errors.InvalidAmount: 10.005 has more decimals than EUR allows
    >>> Money.of("12.50", "EUR") + Money.of("0.75", "EUR")
    Money(amount=Decimal('13.25'), currency='EUR')
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise InvalidAmount(f"Money needs a Decimal amount, not {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise InvalidAmount(f"{self.amount} is not a finite amount")
        currency = check_currency(self.currency)
        exact = self.amount.quantize(quantum(currency))
        if exact != self.amount:
            raise InvalidAmount(f"{self.amount} has more decimals than {currency} allows")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", exact)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Exact construction from a string, int or Decimal (never a float)."""
        if isinstance(amount, float):
            raise InvalidAmount("floats are not accepted as money; pass a string or Decimal")
        try:
            value = Decimal(amount)
        except (InvalidOperation, ValueError) as exc:
            raise InvalidAmount(f"'{amount}' is not an amount") from exc
        return cls(value, currency)

    @classmethod
    def rounded(cls, amount: Decimal, currency: str) -> Money:
        """Round an intermediate result (interest, a percentage) to the minor unit, half up."""
        return cls(round_money(amount, check_currency(currency)), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """From integer minor units, the way the database stores amounts (cents)."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise InvalidAmount(f"minor units must be an int, not {type(minor).__name__}")
        return cls(Decimal(minor).scaleb(-exponent(check_currency(currency))), currency)

    # -- conversion --------------------------------------------------------------------------
    @property
    def minor(self) -> int:
        """Integer minor units (cents) for storage."""
        return int(self.amount.scaleb(exponent(self.currency)))

    def __str__(self) -> str:
        return f"{self.currency} {self.amount}"

    # -- arithmetic --------------------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def times(self, factor: Decimal) -> Money:
        """Multiply by an exact factor and round once, half up."""
        return Money.rounded(self.amount * factor, self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to weights whose sum is exactly this amount.

        Remainders (whole minor units) go to the first parts, so nothing is lost to rounding.
        """
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise InvalidAmount("allocate needs non-negative weights with a positive sum")
        total = sum(weights)
        minor = self.minor
        sign = -1 if minor < 0 else 1
        parts = [abs(minor) * w // total for w in weights]
        remainder = abs(minor) - sum(parts)
        for i in range(remainder):
            parts[i % len(parts)] += 1
        return [Money.from_minor(sign * p, self.currency) for p in parts]


def parse_amount(text: str, decimal_separator: str | None = None) -> Decimal:
    """Read an amount as people write it: '1.234,56', '1,234.56', '1234,56', '-12.5', '(7,50)'.

    A file has one convention, so importers detect it once and pass ``decimal_separator``
    ('.' or ','); the other one is then a thousands separator. Without it, the last separator
    is the decimal one when both appear, and a single separator that occurs once is decimal
    ('1.234' reads as one point two three four: ambiguous input should come with a separator).
    """
    raw = text.strip()
    for noise in ("\u00a0", "\u202f", " ", "'", "€", "EUR"):
        raw = raw.replace(noise, "")
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    if raw.endswith("-"):
        negative, raw = True, raw[:-1]
    if raw.startswith("-"):
        negative, raw = not negative, raw[1:]
    elif raw.startswith("+"):
        raw = raw[1:]
    if not raw or not re.fullmatch(r"[0-9][0-9.,]*", raw):
        raise InvalidAmount(f"'{text}' is not an amount")
    if decimal_separator is None:
        if "," in raw and "." in raw:
            decimal_separator = "," if raw.rfind(",") > raw.rfind(".") else "."
        elif raw.count(",") == 1:
            decimal_separator = ","
        else:
            decimal_separator = "." if raw.count(".") == 1 else ","
    if decimal_separator not in (".", ","):
        raise InvalidAmount(f"'{decimal_separator}' is not a decimal separator")
    group_separator = "," if decimal_separator == "." else "."
    whole, sep, fraction = raw.partition(decimal_separator)
    if decimal_separator in fraction or group_separator in fraction or (sep and not fraction):
        raise InvalidAmount(f"'{text}' is not an amount")
    groups = whole.split(group_separator)
    if len(groups) > 1 and (not groups[0] or any(len(g) != 3 for g in groups[1:])):
        raise InvalidAmount(f"'{text}' is not an amount")
    value = Decimal("".join(groups) + ("." + fraction if fraction else ""))
    return -value if negative else value
