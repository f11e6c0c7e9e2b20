"""The compute view of the ledger (pure): each GPU or power commitment as of a date, converted.

*As of* a time, a commitment is its newest version effective (published) before that time; the
history is read as known today, so a late article about an old commitment counts from its
publication date.  For each such commitment the view says:

- **owner**: who gets the compute — the counterparty of a ``supply`` (NVIDIA supplies Korea),
  otherwise the subject, unless the subject is a GPU vendor and there is a counterparty;
- **country** and **sector** of the owner from the organisations file (``unknown`` when the
  organisation or the field is not there: never guessed);
- **vendor**: the chip's vendor from the accelerator table, else a party that is a GPU vendor,
  else ``unknown``;
- **part_of**: the total this commitment is a part of (see :mod:`services.store.aggregates`:
  "NVIDIA supplies Korea up to 260,000 GPUs" is a total, the Korean government's, Samsung's and
  Hyundai's 50,000 each are its parts), or the whole programme a phase or site of it is part of
  (Samsung's phase one of its 50,000).  Aggregates count a total once and list its parts
  beneath it, never adding both;
- the :class:`~services.compute.convert.Conversion` of its quantity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.compute.accelerators import AcceleratorTable
from services.compute.convert import Conversion, convert
from services.compute.ledger_rows import LedgerVersion
from services.core.models import ChangeKind, FactType, OrgRef, Quantity, Status
from services.extractor.lexicon import Organisation
from services.store.aggregates import Line, Member, aggregate
from services.store.diff import magnitude

UNKNOWN = "unknown"
COMPUTE_UNITS = frozenset({"gpu", "MW", "GW"})


@dataclass(frozen=True)
class Parties:
    """What the view knows of organisations: the organisations file, as lexicon and directory."""

    organisations: Mapping[str, Organisation]
    members: Mapping[str, Member]


@dataclass(frozen=True)
class ComputeItem:
    key: str
    seq: int
    kind: ChangeKind
    type: FactType
    subject: OrgRef
    counterparty: OrgRef | None
    scope: str | None
    owner: OrgRef
    country: str
    sector: str
    vendor: str
    status: Status
    quantity: Quantity | None
    gpu_model: str | None
    conversion: Conversion
    part_of: str | None
    parts: tuple[str, ...]
    effective_at: datetime
    evidence_url: str


def as_of(versions: Iterable[LedgerVersion], before: datetime | None) -> list[LedgerVersion]:
    """The newest version of each commitment effective before ``before`` (all when None)."""
    latest: dict[str, LedgerVersion] = {}
    for version in versions:
        if before is not None and version.effective_at >= before:
            continue
        current = latest.get(version.key)
        if current is None or version.seq > current.seq:
            latest[version.key] = version
    return [latest[key] for key in sorted(latest)]


def is_compute(version: LedgerVersion) -> bool:
    """A GPU count, a capacity in MW/GW, or a GPU commitment without a number."""
    quantity = version.state.quantity
    if quantity is None or quantity.unit not in COMPUTE_UNITS:
        return quantity is None and version.type == "gpu_commitment"
    return True


def owner(version: LedgerVersion, parties: Parties) -> OrgRef:
    """Who gets the compute of ``version``."""
    if version.counterparty is None:
        return version.subject
    if version.type == "supply":
        return version.counterparty
    subject = parties.organisations.get(version.subject.id)
    vendor_subject = subject is not None and subject.is_gpu_vendor
    return version.counterparty if vendor_subject else version.subject


def vendor(version: LedgerVersion, parties: Parties, table: AcceleratorTable) -> str:
    model = version.state.gpu_model
    chip = table.resolve(model) if model else None
    if chip is not None:
        return chip.accelerator.vendor
    for party in (version.counterparty, version.subject):
        org = parties.organisations.get(party.id) if party else None
        if org is not None and org.is_gpu_vendor:
            return org.id
    return UNKNOWN


def parts_of_totals(
    snapshot: Iterable[LedgerVersion], members: Mapping[str, Member]
) -> dict[str, str]:
    """part key → the key it is a part of, among the commitments of one as-of ``snapshot``: a
    country's total (NVIDIA supplies Korea), or, for a scoped commitment (Samsung's phase one),
    the same parties' commitment without a scope (Samsung's whole programme) when there is one
    in force — the store's totals follow the same rule, so that a phase is never added to its
    whole programme."""
    lines = [
        Line(
            key=v.key,
            subject=v.subject.id,
            counterparty=v.counterparty.id if v.counterparty else None,
            scope=v.scope,
            value=magnitude(quantity),
            unit="MW" if quantity.unit == "GW" else quantity.unit,
            cancelled=v.state.status == "cancelled",
        )
        for v in snapshot
        if (quantity := v.state.quantity) is not None
    ]
    found = aggregate(lines, members)
    parts = {part.key: total.total.key for total in found for part in total.parts}
    wholes = {line.key for line in lines if line.scope is None and not line.cancelled}
    for line in lines:
        whole = line.key.rsplit("|", 1)[0] + "|-"  # the key without its scope
        if line.scope is not None and whole in wholes and line.key not in parts:
            parts[line.key] = whole
    return parts


def describe(
    version: LedgerVersion,
    parties: Parties,
    table: AcceleratorTable,
    part_of: Mapping[str, str],
) -> ComputeItem:
    """``version`` seen as compute; ``part_of`` (from :func:`parts_of_totals`) links parts."""
    who = owner(version, parties)
    org = parties.organisations.get(who.id)
    state = version.state
    return ComputeItem(
        key=version.key,
        seq=version.seq,
        kind=version.kind,
        type=version.type,
        subject=version.subject,
        counterparty=version.counterparty,
        scope=version.scope,
        owner=who,
        country=(org.country if org else "") or UNKNOWN,
        sector=(org.sector if org else "") or UNKNOWN,
        vendor=vendor(version, parties, table),
        status=state.status,
        quantity=state.quantity,
        gpu_model=state.gpu_model,
        conversion=convert(state.quantity, state.gpu_model, table)
        if is_compute(version)
        else Conversion("none"),
        part_of=part_of.get(version.key),
        parts=tuple(sorted(k for k, total in part_of.items() if total == version.key)),
        effective_at=version.effective_at,
        evidence_url=version.evidence.url,
    )


def compute_items(
    versions: Iterable[LedgerVersion],
    parties: Parties,
    table: AcceleratorTable,
    before: datetime | None = None,
) -> list[ComputeItem]:
    """Every GPU or power commitment as it stood before ``before``, converted, by key."""
    snapshot = [v for v in as_of(versions, before) if is_compute(v)]
    part_of = parts_of_totals(snapshot, parties.members)
    return [describe(version, parties, table, part_of) for version in snapshot]


def cutoff(when: date | datetime | None) -> datetime | None:
    """The exclusive end of "as of ``when``": a date includes its whole day (UTC)."""
    if when is None or isinstance(when, datetime):
        return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)
    if when == date.max:  # its whole day: everything
        return None
    return datetime.combine(when + timedelta(days=1), time(), tzinfo=UTC)
