"""Errors the domain raises. Each carries a message a credit manager can read."""


class DomainError(ValueError):
    """Base class: the input breaks a business rule."""


class CurrencyMismatch(DomainError):
    """Two amounts in different currencies were combined; converting silently would be wrong."""


class InvalidAmount(DomainError):
    """An amount cannot be read, or has more decimals than its currency allows."""


class InvalidReference(DomainError):
    """A structured payment reference fails its check digits or format."""
