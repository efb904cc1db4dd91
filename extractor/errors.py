"""The project's exceptions. Library code raises these; only the CLI turns them into
messages for the user."""


class TruceError(Exception):
    """Base class: every error the user can act on."""


class ArticleError(TruceError):
    """An input file cannot be read as an article (empty, binary, too large, encoding)."""


class ConfigError(TruceError):
    """The model endpoint is not configured (no key, no base URL, no model)."""


class DatabaseError(TruceError):
    """The database is missing or cannot be used."""


class ModelCallError(TruceError):
    """A model call failed after its retries (HTTP errors, timeouts, invalid output)."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int = 0,
        last_output: str | None = None,
        calls: list | None = None,
        unreachable: bool = False,
    ):
        super().__init__(message)
        self.attempts = attempts
        self.last_output = last_output
        self.calls = calls or []  # the logged attempts, so a failure is recorded too
        self.unreachable = unreachable  # no connection to the endpoint at all


class ReplayMismatchError(ModelCallError):
    """A request has no recorded response: the prompt or schema changed since recording."""


class NotFoundError(TruceError):
    """A claim or article id that is not in the database."""
