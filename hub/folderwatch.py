"""Whether anything in a folder was created, removed or renamed since the last look (Linux
inotify, read without waiting).

The store must notice, before its next commit, that the database or its WAL was deleted or
replaced under it (see ``Store._mend_lost_wal`` and ``Store._check_file``). Looking with
``os.stat`` at every commit made each commit about 0.04 ms slower on this machine's ext4 (the
COMMIT itself, not the stat: measured in alternating runs), a tenth of a durable issue's round
trip. The kernel tells instead: one read that finds nothing, until something moved. On a
network filesystem it tells only of this machine's own changes: the store looks at its files at
least once a second all the same (``LOOK_AGAIN_S``).
"""

from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

# inotify(7): a name in the folder created, deleted, moved out or in; the folder itself deleted
# or moved (the kernel adds IN_UNMOUNT, IN_IGNORED and IN_Q_OVERFLOW on its own)
_IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF = 0x400, 0x800
_MASK = (_IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE | _IN_DELETE_SELF
         | _IN_MOVE_SELF)


class FolderWatch:
    """``changed()`` is True once anything was created, removed or renamed in ``folder``, or
    the folder itself was (and on any doubt: a queue overflow, a read error)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def open(cls, folder: Path) -> FolderWatch | None:
        """A watch on ``folder``, or None where inotify cannot be had (not Linux, the user's
        limit of watches reached): the caller then looks for itself."""
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError):
            return None
        if fd < 0:
            logger.info("no inotify (%s): the database's files are looked at every commit",
                        os.strerror(ctypes.get_errno()))
            return None
        if libc.inotify_add_watch(fd, os.fsencode(folder), _MASK) < 0:
            logger.info("cannot watch %s (%s): the database's files are looked at every commit",
                        folder, os.strerror(ctypes.get_errno()))
            os.close(fd)
            return None
        return cls(fd)

    def changed(self) -> bool:
        if self._fd is None:
            return True
        try:
            os.read(self._fd, 65536)  # what is queued, taken: each event means "look"
        except BlockingIOError:
            return False
        except OSError:
            return True
        return True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
