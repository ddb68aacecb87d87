"""The shared fine-tune queue: first come, first served, positions, a cap on who waits."""

from __future__ import annotations

import threading

import pytest

from playground.studio import FinetuneQueue, QueueFull


def test_queue_is_first_come_first_served_with_positions():
    queue = FinetuneQueue(concurrent=1, max_waiting=2)
    first, second, third = queue.join("a"), queue.join("b"), queue.join("c")
    assert [queue.position(t) for t in (first, second, third)] == [0, 1, 2]
    with pytest.raises(QueueFull, match="limit is 2"):
        queue.join("d")
    stop = threading.Event()
    waiting = queue.wait(third, stop, poll_s=0.01)
    assert next(waiting) == 2
    queue.release(first)
    assert queue.position(second) == 0 and next(waiting) == 1
    queue.release(second)
    assert list(waiting) == [] and queue.position(third) == 0
    queue.release(third)
    assert queue.running == queue.waiting == 0


def test_a_stopped_waiter_leaves_the_line():
    queue = FinetuneQueue(concurrent=1, max_waiting=4)
    running, waiter = queue.join("a"), queue.join("b")
    stop = threading.Event()
    stop.set()
    assert list(queue.wait(waiter, stop)) == []
    assert queue.waiting == 0 and queue.running == 1
    queue.release(running)
