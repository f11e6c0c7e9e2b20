"""Where a reader of the change log stands, so that the live feed shows each change once.

A position is the ``seq`` of the newest change the reader was shown (its cursor): the page
renders it into the HTML, the browser polls with it, and the poll answers with the changes
written after it.  Positions of the earlier form also carry how many changes after the cursor
were already seen (``skip``: when the feed read the log by pages, only a full page had a
cursor); a page still open with one is answered the same way, past those changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"^([0-9]{0,18})\.([0-9]{1,9})$")
"""``<cursor>.<skip>``: ASCII digits, within a 64-bit integer and a count."""


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
