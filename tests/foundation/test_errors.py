"""What the command line reads in an error: which writes ran out of room."""

from __future__ import annotations

import errno

import pytest
from polars.exceptions import ComputeError

from fraudforge.foundation.errors import storage_full


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left on the device"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "the disk quota is used up"),
        (OSError("No space left on device (os error 28)"), "no space left on the device"),
        (OSError("Disk quota exceeded (os error 122)"), "the disk quota is used up"),
        (OSError(errno.EIO, "Input/output error"), None),
        (OSError("Permission denied (os error 13)"), None),
        (OSError("no number at all"), None),
        (
            ComputeError(
                "parquet: File out of specification: underlying IO error: No space left on "
                "device (os error 28)"
            ),
            "no space left on the device",
        ),
        (ValueError("a value out of range"), None),
        (ComputeError("a column of another type"), None),
    ],
)
def test_storage_full_names_a_full_disk_or_quota_only(
    error: BaseException, meaning: str | None
) -> None:
    """Python's errno and the "(os error N)" text of Rust libraries' errors (Polars raises a
    Parquet write's as a ``ComputeError``) both count; any other error does not."""
    assert storage_full(error) == meaning
