"""boto3 clients the driver makes, each with its own retry and timeout budget."""

from __future__ import annotations

from typing import Any


def aws_client(
    service: str,
    *,
    region: str,
    endpoint_url: str | None,
    attempts: int,
    timeout_seconds: float | None = None,
) -> Any:
    """A `service` client in its own session; `endpoint_url` None lets boto3 read the env."""
    import boto3
    from botocore.config import Config

    # Any: the service name is a parameter here, which boto3's typed overloads do not take.
    session: Any = boto3.session.Session()
    return session.client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": attempts},
            # None keeps botocore's own 60 s.
            connect_timeout=timeout_seconds if timeout_seconds is not None else 60,
            read_timeout=timeout_seconds if timeout_seconds is not None else 60,
        ),
    )
