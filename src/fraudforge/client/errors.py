"""What the client raises: the service's own refusals with its message and field, a service it
could not reach, and a service that did not become ready in time."""

from __future__ import annotations


class ClientError(Exception):
    """Base of every error the fraudforge client raises."""


class ServiceError(ClientError):
    """The service answered with an error status (after any retries).

    Parameters
    ----------
    status
        The HTTP status, e.g. 422.
    error
        The service's message.
    field
        The request field to blame, when one is (e.g. ``"amount_inr"``).
    """

    def __init__(self, status: int, error: str, field: str | None = None) -> None:
        self.status = status
        self.error = error
        self.field = field
        where = f" (field {field})" if field else ""
        super().__init__(f"HTTP {status}: {error}{where}")


class ServiceUnreachableError(ClientError, ConnectionError):
    """No connection to the service could be made within the retry policy's attempts."""


class NotReadyError(ClientError, TimeoutError):
    """The service did not report ready within the time allowed.

    Parameters
    ----------
    message
        What was waited for and for how long.
    reason
        The service's last word: why it was not ready, or that it did not answer.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        self.reason = reason
        super().__init__(message)


__all__ = ["ClientError", "NotReadyError", "ServiceError", "ServiceUnreachableError"]
