"""The catalogue's one domain error, raised by its services and selectors
(``catalog.services`` re-exports it)."""

from core.errors import DomainError


class CatalogError(DomainError):
    """The catalogue's domain error."""
