"""The one error type `pathrank services` reports as a single line."""


class ServiceError(RuntimeError):
    """A local service could not be assembled, started, reached or stopped."""
