"""One exception hierarchy for FamilyFlow.

Each class's docstring is its message template; the edges (CLI, HTTP) translate
the class to an exit code or status, nowhere else.
"""

from __future__ import annotations

from typing import Any, ClassVar


class FamilyFlowError(Exception):
    """Something went wrong: {detail}"""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 500

    def __init__(self, **fields: Any) -> None:
        self.fields = fields
        template = (self.__doc__ or "{detail}").strip().splitlines()[0]
        try:
            message = template.format(**fields)
        except (KeyError, IndexError):
            message = f"{template} {fields}"
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)


class InputError(FamilyFlowError):
    """{field}: {reason}"""

    exit_code = 2
    http_status = 422


class NotFound(FamilyFlowError):
    """{what} not found: {key}"""

    exit_code = 3
    http_status = 404


class UnknownProcess(NotFound):
    """unknown process {key!r}; known processes: {known}"""


class UnknownTrigger(InputError):
    """unknown trigger {trigger!r} for process {process}; its triggers are: {known}"""


class TriggerNotAllowed(FamilyFlowError):
    """trigger {trigger!r} is not allowed in state {state!r}; allowed here: {allowed}"""

    exit_code = 4
    http_status = 409


class GuardFailed(FamilyFlowError):
    """trigger {trigger!r} refused: {reason}"""

    exit_code = 4
    http_status = 409


class RoleNotAllowed(FamilyFlowError):
    """{actor} (role {role}) may not fire {trigger!r}; it needs one of: {allowed}"""

    exit_code = 5
    http_status = 403


class ConflictError(FamilyFlowError):
    """case {case_id} was changed by someone else (version {expected} is stale); reload, retry"""

    exit_code = 6
    http_status = 409


class TemplateError(InputError):
    """template {template}: {reason}"""


class DeliveryError(FamilyFlowError):
    """delivery of message {message_id} failed: {reason}"""


class TemporaryDeliveryError(DeliveryError):
    """delivery of message {message_id} failed for now and will be retried: {reason}"""


class PermanentDeliveryError(DeliveryError):
    """delivery of message {message_id} failed and will not be retried: {reason}"""


class DeliveryGaveUp(DeliveryError):
    """delivery of message {message_id} gave up after {attempts} attempts: {reason}"""


class ConfigError(FamilyFlowError):
    """configuration {field}: {reason}"""

    exit_code = 2


class AlreadyExists(FamilyFlowError):
    """{what} already exists: {key}"""

    exit_code = 6
    http_status = 409


class InvalidState(FamilyFlowError):
    """{what} is {state}: {reason}"""

    exit_code = 4
    http_status = 409


class UndoRefused(FamilyFlowError):
    """{reason}"""

    exit_code = 4
    http_status = 409


class NotSignedIn(FamilyFlowError):
    """not signed in: {reason}"""

    exit_code = 5
    http_status = 401


class SignInFailed(NotSignedIn):
    """the email address or password is wrong"""


class SignInThrottled(FamilyFlowError):
    """too many failed sign-ins; try again in {wait}"""

    exit_code = 5
    http_status = 429


AccountLocked = SignInThrottled  # its old name: nothing locks an account any more


class Forbidden(FamilyFlowError):
    """{actor} (role {role}) may not {action}; it needs one of: {allowed}"""

    exit_code = 5
    http_status = 403


class CsrfFailed(FamilyFlowError):
    """the form's security token is missing or out of date; reload the page and try again"""

    exit_code = 5
    http_status = 403


class InboxError(FamilyFlowError):
    """reading received texts from {provider} failed and will be tried again: {reason}"""
