"""The gunicorn worker `acc registry serve` uses: gthread, with a client timeout.

gunicorn's default sync worker serves one connection at a time, so two clients that never
finish their headers stopped a two-worker registry (129 s in the report behind issue 14).
The threaded worker serves each connection on one of `threads_per_worker` threads. Two
gaps remain in it, and this worker closes both:

- a new connection is handed to a thread at once, which then waits up to 5 s for its first
  bytes: here a new connection waits in the poller, without a thread, until it sends
  something (or is closed after the keep-alive time, as gunicorn closes idle ones);
- once some bytes came, the thread reads the rest of the request from a blocking socket
  with no time limit: here every read from the client (headers and body alike) has
  `client_timeout_seconds`, and a client that stops sending is disconnected when it runs out;
- closing a connection "gracefully" (send FIN, then read what the client still sends for up
  to 2 s) runs on the worker's one event-loop thread, so four stalled clients froze a whole
  worker for 8 s: here it runs on a small pool beside it (or, when that pool is busy,
  the connection is closed at once).

Other threads keep serving meanwhile. A buffering proxy in front (docs/registry.md) is still
the better shield against many slow clients. Written against gunicorn 27's gthread worker.
"""

from __future__ import annotations

import errno
import logging
import selectors
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

#: Graceful closes run here, off the event loop; past _MAX_LINGERING waiting, close at once.
_closer = ThreadPoolExecutor(max_workers=4, thread_name_prefix="close")
_MAX_LINGERING = 256
_lingering = 0
_lingering_lock = threading.Lock()


class _TimedConn(TConn):  # type: ignore[misc]
    client_timeout: float = 10.0

    def init(self) -> None:
        super().init()
        # After gunicorn's own setblocking(True), on every request of the connection.
        self.sock.settimeout(self.client_timeout)

    def close(self, graceful: bool = False) -> None:
        global _lingering
        if not graceful:
            super().close(False)
            return
        with _lingering_lock:
            busy = _lingering >= _MAX_LINGERING
            if not busy:
                _lingering += 1
        if busy:
            super().close(False)
            return
        _closer.submit(self._close_gracefully)

    def _close_gracefully(self) -> None:
        global _lingering
        try:
            super().close(True)
        finally:
            with _lingering_lock:
                _lingering -= 1


class _QuietTimeouts(logging.Filter):
    """A client that ran out of time is routine, not a traceback per connection (which an
    attacker could multiply): one short line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], TimeoutError):
            record.msg, record.args, record.exc_info, record.levelno = (
                "closed a connection whose client stopped sending",
                (),
                None,
                logging.INFO,
            )
            record.levelname = "INFO"
        return True


class GuardedThreadWorker(ThreadWorker):  # type: ignore[misc]
    def init_process(self) -> None:
        from registry.config import load_config

        _TimedConn.client_timeout = float(load_config().client_timeout_seconds)
        self.log.error_log.addFilter(_QuietTimeouts())
        super().init_process()

    def accept(self, listener: Any) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = _TimedConn(self.cfg, client_sock, client_addr, listener.getsockname())
        # Like a connection gunicorn deferred: the poller hands it to a thread once readable.
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))
