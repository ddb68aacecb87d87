"""The one fine-tune queue of a server: first come, first served, with positions and a cap on who waits.

    join() ─► waiting [t3, t4, …] ─► running [t1] (LIMITS.concurrent_finetunes at once) ─► release()
               └─ more than LIMITS.queue_size waiting: QueueFull, before anything is loaded

A waiting run yields its position while it waits and leaves the line when its stop flag is set.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Iterator

from playground.i18n import t


class QueueFull(ValueError):
    """More fine-tunes are waiting than the server allows."""


# --------------------------------------------------------------------------- the queue

@dataclass(eq=False)
class Ticket:
    owner: str
    number: int


class FinetuneQueue:
    """First come, first served: `concurrent` tickets run at once, at most `max_waiting` wait."""

    def __init__(self, concurrent: int | None = None, max_waiting: int | None = None):
        from playground.settings import LIMITS

        self.concurrent = concurrent or LIMITS.concurrent_finetunes
        self.max_waiting = max_waiting or LIMITS.queue_size
        self._condition = threading.Condition()
        self._running: list[Ticket] = []
        self._waiting: list[Ticket] = []
        self._numbers = itertools.count(1)

    def join(self, owner: str) -> Ticket:
        with self._condition:
            if len(self._waiting) >= self.max_waiting and len(self._running) >= self.concurrent:
                raise QueueFull(t("studio.err.queue_full", waiting=len(self._waiting), limit=self.max_waiting))
            ticket = Ticket(owner, next(self._numbers))
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def _admit(self) -> None:
        while self._waiting and len(self._running) < self.concurrent:
            self._running.append(self._waiting.pop(0))
        self._condition.notify_all()

    def position(self, ticket: Ticket) -> int:
        """0 when running, N ≥ 1 for the N-th in line."""
        with self._condition:
            if ticket in self._running:
                return 0
            return self._waiting.index(ticket) + 1

    def wait(self, ticket: Ticket, stop: threading.Event, poll_s: float = 0.5) -> Iterator[int]:
        """Yields the ticket's position while it waits; returns once it runs, or leaves the line if `stop` is set."""
        while True:
            with self._condition:
                if ticket in self._running:
                    return
                if stop.is_set():
                    self._leave(ticket)
                    return
                position = self._waiting.index(ticket) + 1
            yield position
            with self._condition:
                if ticket not in self._running:
                    self._condition.wait(poll_s)

    def release(self, ticket: Ticket) -> None:
        with self._condition:
            self._leave(ticket)

    def _leave(self, ticket: Ticket) -> None:
        if ticket in self._running:
            self._running.remove(ticket)
        elif ticket in self._waiting:
            self._waiting.remove(ticket)
        self._admit()

    @property
    def running(self) -> int:
        with self._condition:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._condition:
            return len(self._waiting)
