"""WARC archive of every fetched response: rotating gzip files, one gzip member per record.

:class:`WarcWriter` writes a ``response`` record (HTTP status line, headers and the body bytes
exactly as received — still content-encoded) and returns a :class:`WarcRef` (file name relative
to the archive directory, byte offset and length of the record's gzip member), so a record can
be read back on its own.  Files rotate at ``max_bytes``.  ``Transfer-Encoding`` is dropped from
the stored headers because the body is stored de-chunked.  A response whose body was archived
before for the same URL (a feed or sitemap polled unchanged) is written as a ``revisit`` record
instead: its headers and the body's digest, a few hundred bytes instead of the whole listing.

:func:`scan`, :func:`iter_responses` and :func:`read_response` are the reader side, used by
replay too: they yield the response records (revisits have no body to replay) as
:class:`WarcResponse` items with the headers, raw and decoded body (decoded with the same output
cap as a live fetch) and the WARC-Date; :func:`scan` also reports defects.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from services.core.httpfetch import FetchTerminal, decode_content
from services.core.models import WarcRef
from services.crawler import metrics

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
FAILURE_HOLD = 60.0
"""Seconds the archive counts as failing after a write failed: on a nearly full disk a small
record still fits now and then between failures, and the signal must not flicker."""
log = logging.getLogger(__name__)

MAX_DECODED = 50 * 1024 * 1024
_DROP = {"transfer-encoding"}


@dataclass(frozen=True)
class WarcResponse:
    url: str
    status: int
    headers: dict[str, str]
    raw: bytes
    body: bytes
    """Body with Content-Encoding undone (what :func:`parse_response` expects)."""
    date: datetime | None
    ref: WarcRef


class WarcWriter:
    """Thread-safe rotating writer; ``close()`` when done."""

    def __init__(
        self,
        directory: Path,
        prefix: str = "infraledger",
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._name = ""
        self._seq = 0
        self._clock = clock
        self._failed_at: float | None = None
        """When a write last failed (a full disk, say)."""
        metrics.ARCHIVE_WRITABLE.set_function(lambda: float(self.writable()))

    def _open(self) -> BinaryIO:
        if self._file is not None and self._file.tell() < self.max_bytes:
            return self._file
        if self._file is not None:
            self._file.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        self._seq += 1
        self._name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._seq:05d}.warc.gz"
        handle = open(self.directory / self._name, "ab")  # noqa: SIM115 - kept open on purpose
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(
            writer.create_warcinfo_record(self._name, {"software": "infraledger crawler"})
        )
        handle.flush()
        self._file = handle
        return handle

    def write_response(
        self,
        url: str,
        status: int,
        headers: tuple[tuple[str, str], ...] | list[tuple[str, str]],
        raw: bytes,
        *,
        fetched_at: datetime | None = None,
        http_version: str = "HTTP/1.1",
        revisit: bool = False,
    ) -> WarcRef:
        """A ``response`` record; with ``revisit``, for a body archived before for ``url``, a
        ``revisit`` record instead (WARC's identical-payload-digest profile): the status line,
        the headers and the body's digest — the digest of that earlier record — without the
        body."""
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        kept = [(k, v) for k, v in headers if k.lower() not in _DROP]
        http_headers = StatusAndHeaders(
            f"{status} {reason}", kept, protocol=http_version or "HTTP/1.1"
        )
        when = (fetched_at or datetime.now(UTC)).astimezone(UTC)
        warc_headers = {"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        with self._lock:
            try:
                return self._write(url, http_headers, raw, warc_headers, revisit)
            except OSError:
                self._failed_at = self._clock()
                raise

    def writable(self) -> bool:
        """No write failed in the last :data:`FAILURE_HOLD` seconds."""
        return self._failed_at is None or self._clock() - self._failed_at > FAILURE_HOLD

    def _write(
        self,
        url: str,
        http_headers: StatusAndHeaders,
        raw: bytes,
        warc_headers: dict[str, str],
        revisit: bool,
    ) -> WarcRef:
        """Under the lock."""
        handle = self._open()
        writer = WARCWriter(handle, gzip=True)
        if revisit:
            record = writer.create_warc_record(
                url, "revisit", http_headers=http_headers, warc_headers_dict=warc_headers
            )
            digest = Digester("sha1")  # as warcio digests the payload of a response
            digest.update(raw)
            for name, value in (
                ("WARC-Profile", writer.REVISIT_PROFILE),
                ("WARC-Refers-To-Target-URI", url),
                ("WARC-Payload-Digest", str(digest)),
            ):
                record.rec_headers.add_header(name, value)
        else:
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(raw),
                length=len(raw),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
        offset = handle.tell()
        writer.write_record(record)
        handle.flush()
        length = handle.tell() - offset
        return WarcRef(filename=self._name, offset=offset, length=length)

    def close(self) -> None:
        """Close the current file; a full disk at this point is logged, never raised."""
        with self._lock:
            if self._file is not None:
                try:
                    self._file.close()
                except OSError as exc:
                    log.error("closing the WARC file failed: %s", exc)
                self._file = None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _response(record: object, filename: str, offset: int, length: int) -> WarcResponse | None:
    rec = record  # warcio records are untyped
    if getattr(rec, "rec_type", None) != "response":
        return None
    http = rec.http_headers  # type: ignore[attr-defined]
    headers: dict[str, str] = {}
    for key, value in http.headers if http is not None else []:
        low = key.lower()
        headers[low] = f"{headers[low]}, {value}" if low in headers else value
    raw = rec.raw_stream.read()  # type: ignore[attr-defined]
    body = decode_content(raw, headers.get("content-encoding"), MAX_DECODED)
    status = int(http.get_statuscode() or 0) if http is not None else 0
    return WarcResponse(
        url=str(rec.rec_headers.get_header("WARC-Target-URI")),  # type: ignore[attr-defined]
        status=status,
        headers=headers,
        raw=raw,
        body=body,
        date=_parse_date(rec.rec_headers.get_header("WARC-Date")),  # type: ignore[attr-defined]
        ref=WarcRef(filename=filename, offset=offset, length=length),
    )


@dataclass(frozen=True)
class WarcDefect:
    """A record that cannot be trusted: malformed, truncated, or failing its digest."""

    offset: int
    reason: str


def _defect(record: ArcWarcRecord) -> str | None:
    if record.format.startswith("warc") and not record.rec_headers.get_header("WARC-Record-ID"):
        return "malformed WARC record (no WARC-Record-ID)"
    if getattr(record.raw_stream, "limit", 0) > 0:
        return "truncated WARC record: the file ends before its Content-Length"
    if record.digest_checker.passed is False:
        return "WARC record fails its digest: " + "; ".join(record.digest_checker.problems)
    return None


def scan(path: Path) -> Iterator[WarcResponse | WarcDefect]:
    """Every response record of one WARC file (gzip or not), and a :class:`WarcDefect` for each
    record that cannot be trusted or read (a body in an encoding it cannot decode, or over the
    cap, a status line without a number); a broken gzip stream ends the scan with a defect."""
    offset, seen = 0, 0
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle, check_digests=True)
        try:
            for record in iterator:
                seen += 1
                try:
                    item, unreadable = _response(record, path.name, 0, 0), None
                except (FetchTerminal, ValueError) as exc:  # a body that does not decode, a
                    item, unreadable = None, f"unreadable response record: {exc}"  # bad status
                iterator.read_to_end(record)  # offsets are known once the record is read
                offset = iterator.get_record_offset()
                defect = _defect(record) or unreadable
                if defect is not None:
                    yield WarcDefect(offset, defect)
                elif item is not None:
                    ref = WarcRef(filename=path.name, offset=offset,
                                  length=int(iterator.get_record_length() or 0))  # fmt: skip
                    yield replace(item, ref=ref)
        except (ArchiveLoadFailed, EOFError, OSError, zlib.error) as exc:
            yield WarcDefect(offset, f"corrupt or truncated WARC: {exc!r}")
            return
    if seen == 0 and path.stat().st_size > 0:
        yield WarcDefect(0, "no WARC records found (not a WARC file?)")


def iter_responses(path: Path) -> Iterator[WarcResponse]:
    """Every trustworthy response record of one WARC file."""
    return (item for item in scan(path) if isinstance(item, WarcResponse))


def read_response(directory: Path, ref: WarcRef) -> WarcResponse:
    """The response record ``ref`` points at."""
    with open(Path(directory) / ref.filename, "rb") as handle:
        handle.seek(ref.offset)
        data = handle.read(ref.length)
    for record in ArchiveIterator(io.BytesIO(data)):
        item = _response(record, ref.filename, ref.offset, ref.length)
        if item is not None:
            return item
    raise ValueError(f"no response record at {ref.filename}:{ref.offset}")
