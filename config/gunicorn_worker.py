"""A gthread worker that leaves the next new connection to the other workers.

Gunicorn's worker processes share one listening socket, and a gthread worker's main thread
accepts every connection it is woken for, even while its request thread is busy. A client
connection that is kept alive then stays with the process that accepted it. Measured with
2 workers x 1 thread: 2 kept-alive clients landed on the same process in 3 runs out of 3,
and 8 clients all on one process in 2 runs out of 3, so one core served everything while the
other idled, and the API served half the requests it could (131 instead of 264 per second).

This worker stops listening when it accepts a connection and listens again as soon as it
finishes a request, or after ``HAND_OFF_SECONDS`` if that does not happen first (the
connection it accepted has sent nothing yet). Meanwhile a new connection waits in the
kernel's backlog for a worker that is listening. So while the workers are busy, new
connections go to them in turn; an idle worker still takes every connection, at most
``HAND_OFF_SECONDS`` apart.
"""
from __future__ import annotations

import selectors
import time
from threading import RLock
from typing import Any

from gunicorn.workers import base
from gunicorn.workers.gthread import ThreadWorker

#: The longest a worker that has just accepted a connection leaves new ones to the others.
HAND_OFF_SECONDS = 0.01


class BalancedThreadWorker(ThreadWorker):
    def init_process(self) -> None:
        # As ThreadWorker.init_process, with a selector that wakes when the pause is over.
        self._listening = True
        self._listen_again_at = 0.0
        self._paused: list[tuple[Any, Any]] = []
        self.tpool = self.get_thread_pool()
        self.poller = _Selector(self)
        self._lock = RLock()
        base.Worker.init_process(self)  # runs the worker: self.run()

    def accept(self, server: Any, listener: Any) -> None:
        connections = self.nr_conns
        super().accept(server, listener)
        with self._lock:
            if not self._listening or self.nr_conns == connections:  # lost the race to another worker
                return
            self._paused = [(key.fileobj, key.data) for key in map(self.poller.get_key, self.sockets)]
            for sock, _ in self._paused:
                self.poller.unregister(sock)
            self._listening = False
            self._listen_again_at = time.monotonic() + HAND_OFF_SECONDS

    def listen(self) -> None:
        """Take new connections again (from the request thread or the main loop)."""
        with self._lock:
            if self._listening or not self.alive:
                return
            for sock, callback in self._paused:
                self.poller.register(sock, selectors.EVENT_READ, callback)
            self._listening = True

    def finish_request(self, fs: Any) -> None:
        super().finish_request(fs)
        if self.nr_conns == 0:  # nothing kept alive here: take the next connection at once
            self.listen()


class _Selector(selectors.DefaultSelector):
    """The worker's poller: while its worker is not listening, a wait ends by the pause's end."""

    def __init__(self, worker: BalancedThreadWorker) -> None:
        super().__init__()
        self._worker = worker

    def select(self, timeout: float | None = None) -> list:
        worker = self._worker
        if not worker._listening:
            remaining = worker._listen_again_at - time.monotonic()
            if remaining <= 0:
                worker.listen()
            elif timeout is None or remaining < timeout:
                timeout = remaining
        return super().select(timeout)
