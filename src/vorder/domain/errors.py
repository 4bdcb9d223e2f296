"""Errors the domain raises. Each carries a message a credit manager can read."""


class DomainError(ValueError):
    """Base class: the input breaks a business rule."""


class CurrencyMismatch(DomainError):
    """Two amounts in different currencies were combined; converting silently would be wrong."""


class InvalidAmount(DomainError):
    """An amount cannot be read, or has more decimals than its currency allows."""


class InvalidReference(DomainError):
    """A structured payment reference fails its check digits or format."""


class InvalidPeriod(DomainError):
    """An interest period ends before it starts, or a date falls outside the period."""


class RateNotKnown(DomainError):
    """No statutory rate is recorded for a day (before the first period of the table)."""


class RateTableError(DomainError):
    """A rate data file is malformed; the message names the file, the row and the field."""


class InvalidPayment(DomainError):
    """A payment has no positive amount or falls after the end of the calculation."""


class InvalidSetting(DomainError):
    """A calculation setting (interest kind, day count, imputation order) is not understood."""
