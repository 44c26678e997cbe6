"""The file store's keys, staging with a limit, and the files implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.errors import DomainError
from shared.storage import BlobMissing, FileBlobStore, checked_key, new_blob_key, stage


def files_in(directory: Path) -> list[Path]:
    return list(directory.iterdir())


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "attachments/../../x", "attachments/ABC", "/abs/0123", "a/" + "0" * 31]
)
def test_only_generated_keys_reach_a_store(key: str) -> None:
    with pytest.raises(ValueError):
        checked_key(key)
    assert checked_key(new_blob_key("attachments")).startswith("attachments/")


async def test_staging_counts_hashes_and_keeps_the_head(tmp_path: Path) -> None:
    staged = await stage(chunks(b"abc", b"def"), tmp_path, max_bytes=6)
    assert (staged.size, staged.head, staged.path.read_bytes()) == (6, b"abcdef", b"abcdef")
    assert staged.sha256 == "bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721"


async def test_staging_over_the_limit_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(DomainError) as refused:
        await stage(chunks(b"abc", b"defg"), tmp_path, max_bytes=6)
    assert refused.value.code == "ATTACHMENT_TOO_LARGE" and refused.value.http_status == 413
    assert files_in(tmp_path) == []


async def test_the_file_store_keeps_reads_and_deletes_a_blob(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "files")
    key = new_blob_key("attachments")
    staged = await stage(chunks(b"x" * 100_000), tmp_path / "staging", max_bytes=10**6)
    await store.put(key, staged, "text/plain")
    assert not staged.path.exists()
    assert b"".join([chunk async for chunk in await store.read(key)]) == b"x" * 100_000
    await store.delete(key)
    with pytest.raises(BlobMissing):
        await store.read(key)
