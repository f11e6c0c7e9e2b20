from typing import TypeVar

_S = TypeVar("_S", bound=tuple[int, int, int])

def split(
    text: str,
    sentence_type: type[_S],
    terminators: str,
    closers: str,
    abbreviations: tuple[str, ...],
    max_sentence: int,
) -> list[_S]: ...
