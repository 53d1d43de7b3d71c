"""What the broker's services share: the one domain error and its
shorthands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import DomainError

if TYPE_CHECKING:
    from broker.selectors import Organisation


class BrokerError(DomainError):
    """The one domain error of the broker (mapped once to HTTP by
    ``config.api.exception_handler``)."""


def _invalid(field: str, message: str) -> BrokerError:
    return BrokerError(message, fields={field: [message]})


def _admins_only(organisation: Organisation, message: str) -> None:
    if not organisation.is_admin:
        raise BrokerError(
            message % {"name": organisation.name}, code="permission_denied", http_status=403
        )
