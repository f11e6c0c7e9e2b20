"""The store: turns ``facts.v1`` into the ledger of commitments and publishes ``ledger.changes.v1``.

Pure core: :mod:`.keys` (which facts describe the same commitment), :mod:`.diff` (a commitment's
history and the changes between two histories), :mod:`.aggregates` (totals against their parts).
Thin shells: :mod:`.tables` and :mod:`.repository` (persistence, exactly-once), :mod:`.service`
(the Kafka handler and the outbox relay), :mod:`.queries`, :mod:`.cli` and :mod:`.api`.
"""
