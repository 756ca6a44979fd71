"""Text files: read one within a size cap (refusing binary data), write one atomically.

A text file is UTF-8 (an optional byte-order mark is kept), has no NUL byte, and is at
most `MAX_FILE_BYTES`. Its line endings are remembered: a file written with CRLF is
edited as LF text and written back with CRLF, so an edit never rewrites every line.

Writing is `commit`'s job (a temporary file beside the target, then a rename).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from acc_plugin import Denied, Failed, Invalid, LimitExceeded

MAX_FILE_BYTES = 4 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
#: How far into a file a NUL byte marks it as binary (git looks at the first 8000 bytes).
_BINARY_PROBE = 8000
#: Errors a write into a read-only preopen (or a read-only grant) raises.
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}

READ_ONLY_MESSAGE = (
    "the project is mounted read-only for this plugin (its fs capability is granted for reading only): "
    "nothing was changed. Grant writing with `acc plugin grant files fs`"
)


@dataclass(frozen=True)
class TextFile:
    """A file's text (LF line endings) and how to write it back as it was."""

    text: str
    crlf: bool = False
    bom: bool = False

    def encode(self, text: str) -> bytes:
        """`text` (LF line endings) as this file stores text."""
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return (_BOM if self.bom else b"") + text.encode("utf-8")


def read_bytes(full: str, shown: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, at most `limit` of them, or a clear error."""
    try:
        info = os.stat(full)
    except FileNotFoundError:
        raise Invalid(f"{shown} does not exist in the project") from None
    except NotADirectoryError:
        raise Invalid(f"{shown} does not exist in the project (a parent is a file)") from None
    if stat.S_ISDIR(info.st_mode):
        raise Invalid(f"{shown} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise Invalid(f"{shown} is not a regular file")
    if info.st_size > limit:
        raise LimitExceeded(f"{shown} is {info.st_size} bytes, larger than the {limit} bytes files reads or edits")
    with open(full, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise LimitExceeded(f"{shown} is larger than the {limit} bytes files reads or edits")
    return data


def is_binary(data: bytes) -> bool:
    """Whether `data` is not text: a NUL byte early on, or not UTF-8."""
    if b"\0" in data[:_BINARY_PROBE]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def decode(data: bytes, shown: str) -> TextFile:
    """`data` as a TextFile, or Invalid when it is binary."""
    if b"\0" in data[:_BINARY_PROBE]:
        raise Invalid(f"{shown} is a binary file (it contains NUL bytes): files reads and edits text only")
    bom = data.startswith(_BOM)
    try:
        text = data[len(_BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid(
            f"{shown} is not UTF-8 text (byte {e.start} cannot be decoded): files reads and edits UTF-8 text only"
        ) from None
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    return TextFile(text.replace("\r\n", "\n") if crlf else text, crlf=crlf, bom=bom)


def read_text(full: str, shown: str, limit: int = MAX_FILE_BYTES) -> TextFile:
    return decode(read_bytes(full, shown, limit), shown)


def check_writable_target(full: str, shown: str) -> bool:
    """Whether `full` exists (as a regular file); refuse a directory or special file."""
    try:
        info = os.lstat(full)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        raise Invalid(f"{shown} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise Invalid(f"{shown} is not a regular file")
    return True


def write_error(error: OSError, shown: str) -> Exception:
    """The plugin's error for a failed write, move or delete of `shown`."""
    if error.errno in _READ_ONLY or isinstance(error, PermissionError):
        return Denied(READ_ONLY_MESSAGE)
    if error.errno == errno.ENOSPC:
        return Failed(f"the disk is full: {shown} was not changed")
    return Failed(f"could not write {shown}: {error.strerror or error}")
