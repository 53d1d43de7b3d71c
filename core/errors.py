"""The one domain error every app's own error derives from."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the one domain error of each app (CatalogError, TenderError,
    BrokerError): a message, a code, an HTTP status and field messages,
    mapped once to HTTP by ``config.api.exception_handler`` and once onto a
    form or a message for HTML views (``core.web``)."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        http_status: int = 400,
        fields: dict[str, list[str]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.fields = fields
