"""What the client raises: the service's own refusals with its message and field, a service it
could not reach, and a service that did not become ready in time."""

from __future__ import annotations


class ClientError(Exception):
    """Base of every error the fraudforge client raises."""


class ServiceError(ClientError):
    """The service answered with an error status (after any retries): ``status``, its message
    ``error`` and, when one field is to blame, ``field``."""

    def __init__(self, status: int, error: str, field: str | None = None) -> None:
        self.status = status
        self.error = error
        self.field = field
        where = f" (field {field})" if field else ""
        super().__init__(f"HTTP {status}: {error}{where}")


class ServiceUnreachableError(ClientError, ConnectionError):
    """No connection to the service could be made within the retry policy's attempts."""


class NotReadyError(ClientError, TimeoutError):
    """The service did not report ready within the time allowed; ``reason`` is its last word."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        self.reason = reason
        super().__init__(message)


__all__ = ["ClientError", "NotReadyError", "ServiceError", "ServiceUnreachableError"]
