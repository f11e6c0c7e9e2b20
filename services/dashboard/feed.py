"""Where a reader of the change log stands, so that the live feed shows each change once.

The store pages its change log by a cursor that only the *full* pages carry (the seq of their
last row).  A position is therefore that cursor plus how many rows of the partial page after it
were already seen; the page renders its position into the HTML and the browser polls with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.core.models import ChangeV1
from services.store.queries import Page

_TOKEN = re.compile(r"^(\d*)\.(\d+)$")


@dataclass(frozen=True)
class Position:
    cursor: str | None = None
    skip: int = 0

    @property
    def token(self) -> str:
        """``<cursor>.<skip>``, e.g. ``.0`` (the start) or ``1000.3``."""
        return f"{self.cursor or ''}.{self.skip}"

    @classmethod
    def parse(cls, token: str) -> Position:
        match = _TOKEN.match(token)
        if match is None:
            raise ValueError(f"not a feed position: {token!r}")
        return cls(match.group(1) or None, int(match.group(2)))


def advance(position: Position, page: Page[ChangeV1]) -> tuple[list[ChangeV1], Position]:
    """The unseen changes of ``page`` (read at ``position.cursor``) and the position after it."""
    unseen = page.items[position.skip :]
    if page.next_cursor is not None:
        return unseen, Position(page.next_cursor, 0)
    return unseen, Position(position.cursor, len(page.items))
