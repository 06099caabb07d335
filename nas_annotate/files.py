"""Writing files all at once: a temporary file beside the target, renamed into place."""

from __future__ import annotations

import os


def atomic_write(path: str, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one, never a
    part. The file gets `mode`, or the usual permissions (0o666 less the umask). Raises OSError."""
    directory, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
