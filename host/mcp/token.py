"""The bearer token of `acc mcp serve --transport http`: made on first use, kept 0600.

    ACC_HOME/mcp/token     32 random bytes, URL-safe base64, readable by the user only

A file readable by anyone else is refused rather than used: whoever can read the token
can run every served plugin as the user. `rotate_token` replaces it atomically; servers
read it once, at start.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from host.errors import InputError

TOKEN_FILE = "token"


def token_path(home: Path) -> Path:
    return home / "mcp" / TOKEN_FILE


def ensure_token(home: Path) -> str:
    """The token, made now if there is none yet."""
    path = token_path(home)
    with contextlib.suppress(FileExistsError):
        _write_new(path, exclusive=True)
    return read_token(home)


def rotate_token(home: Path) -> str:
    """Replace the token (running servers keep the old one until they restart)."""
    path = token_path(home)
    _write_new(path, exclusive=False)
    return read_token(home)


def read_token(home: Path) -> str:
    path = token_path(home)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError as e:
        raise InputError(f"no MCP token yet ({path})", hint="`acc mcp token` makes one") from e
    except OSError as e:
        raise InputError(
            f"{path} cannot be read ({e.strerror})", hint="remove it; `acc mcp token` makes a new one"
        ) from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077 or st.st_uid != os.getuid():
            raise InputError(
                f"{path} may be read by others (mode {stat.S_IMODE(st.st_mode):o}); it is not used",
                hint=f"remove it and run `acc mcp token --rotate`, or `chmod 600 {path}` if no one else read it",
            )
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    token = data.decode("ascii", "replace").strip()
    if len(token) < 32:
        raise InputError(f"{path} holds no usable token", hint="run `acc mcp token --rotate`")
    return token


def token_matches(expected: str, presented: str) -> bool:
    """Constant-time comparison (a timing difference must not reveal a prefix)."""
    return hmac.compare_digest(expected.encode(), presented.encode())


def _write_new(path: Path, *, exclusive: bool) -> None:
    """Write a fresh token to a private temporary file, then move it in whole: a reader
    never sees a half-written token. `exclusive`: FileExistsError if there is one already."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{TOKEN_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        try:
            os.write(fd, (secrets.token_urlsafe(32) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            os.link(temporary, path)  # fails if a token exists: two first uses agree on one
        else:
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
