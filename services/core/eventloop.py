"""The event loop every command runs on: uvloop, or asyncio's own (``INFRALEDGER_EVENT_LOOP``).

uvloop (libuv under asyncio's API) runs the services' sockets, timers and thread hand-offs with
less CPU than asyncio's selector loop: the pipeline end to end ran ≈10–15 % more articles per
second on it, at less CPU per article, in alternated runs (``bench/RESULTS.md``, "What changed
in session 19").  ``asyncio`` stays a setting for debugging (asyncio's debug mode, tools that
patch its loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")

EventLoop = Literal["uvloop", "asyncio"]


def loop_factory(kind: EventLoop) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes a new loop of ``kind``, whatever event loop policy is installed (asyncio's
    own is its selector loop, its default on Unix)."""
    if kind == "asyncio":
        return asyncio.SelectorEventLoop
    import uvloop

    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T], kind: EventLoop) -> T:
    """Run ``main`` to completion on a new event loop of ``kind``, then close the loop (as
    :func:`asyncio.run` does)."""
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        return runner.run(main)
