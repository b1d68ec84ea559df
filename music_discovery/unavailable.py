"""The 503s: a service a request needs is out of reach for now. Apart from
`music_discovery.exceptions` (which imports DRF's views, whose throttle settings import
`music_discovery.throttling`, which raises one of these)."""

from rest_framework import exceptions, status


class ServiceUnavailable(exceptions.APIException):
    """A service the request needs is out of reach for now: a 503 whose `Retry-After` says
    when to try again, never a 500."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    retry_after = 5


class DatabaseUnavailable(ServiceUnavailable):
    """The database refused or dropped the connection (a restart, a failover)."""

    default_detail = "The database is unavailable; try again shortly."
    default_code = "database_unavailable"


class CredentialCountUnavailable(ServiceUnavailable):
    """The count of credential attempts (`music_discovery.throttling.CredentialThrottle`)
    could not be read or written: the attempt is refused rather than let through uncounted."""

    default_detail = "Signing in and credential changes are unavailable for a moment; try again shortly."
    default_code = "credential_count_unavailable"
