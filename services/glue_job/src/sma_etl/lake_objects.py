"""Small objects at the lake root and folder listings, on S3 or a local folder.

The job's markers (``_refresh.json``, ``_discovery.json``) and the catch-up's look at the newest
partitions need a few reads, writes and listings; Spark is not needed for them.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from sma_etl.sink import lake_uri


@cache
def s3_client() -> Any:
    import boto3

    return boto3.session.Session().client("s3")


def _split(uri: str) -> tuple[str, str]:
    """Bucket and key prefix (no trailing slash) of an ``s3://`` URI."""
    parts = urlsplit(uri)
    return parts.netloc, parts.path.strip("/")


def _is_s3(root: str) -> bool:
    return lake_uri(root).startswith(("s3://", "s3a://"))


def read_text(root: str, name: str) -> str | None:
    """The object `name` under the lake root, or None when there is none."""
    uri = lake_uri(root)
    if not _is_s3(root):
        try:
            with open(os.path.join(uri, name), encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
    bucket, prefix = _split(uri)
    client = s3_client()
    try:
        body = client.get_object(Bucket=bucket, Key=f"{prefix}/{name}".lstrip("/"))["Body"]
    except client.exceptions.NoSuchKey:
        return None
    return str(body.read().decode("utf-8"))


def write_text(root: str, name: str, text: str) -> None:
    """Write the object `name` under the lake root whole (locally: written aside, then renamed)."""
    uri = lake_uri(root)
    if not _is_s3(root):
        os.makedirs(uri, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=uri, prefix=".tmp-", suffix=name)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, os.path.join(uri, name))
        return
    bucket, prefix = _split(uri)
    s3_client().put_object(
        Bucket=bucket,
        Key=f"{prefix}/{name}".lstrip("/"),
        Body=text.encode("utf-8"),
        ContentType="application/json",
    )


def list_folders(root: str, path: str = "") -> list[str]:
    """The names of the folders directly under `path` of the lake (one S3 listing per page)."""
    uri = lake_uri(root)
    if not _is_s3(root):
        folder = os.path.join(uri, path) if path else uri
        try:
            return sorted(e.name for e in os.scandir(folder) if e.is_dir())
        except FileNotFoundError:
            return []
    bucket, prefix = _split(uri)
    full = "/".join(p for p in (prefix, path.strip("/")) if p) + "/"
    names: list[str] = []
    pages = s3_client().get_paginator("list_objects_v2")
    for page in pages.paginate(Bucket=bucket, Prefix=full.lstrip("/"), Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            names.append(common["Prefix"][len(full.lstrip("/")) :].strip("/"))
    return sorted(names)
