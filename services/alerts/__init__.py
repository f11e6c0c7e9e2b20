"""Alerts: webhook subscriptions and the delivery of ledger changes to them.

Pure core: :mod:`~services.alerts.signing` (Standard Webhooks signatures, ``whsec_`` secrets),
:mod:`~services.alerts.schedule` (retry timing, what an answer means),
:mod:`~services.alerts.matching` (who receives a change), :mod:`~services.alerts.payload`.
Shells: :mod:`~services.alerts.repository` and :mod:`~services.alerts.tables` (the durable
queue), :mod:`~services.alerts.sender` (one guarded POST), :mod:`~services.alerts.service`
(``make_handler``, ``run_delivery_worker``, ``wait_settled``, ``send_test``),
:mod:`~services.alerts.api` (``router``) and :mod:`~services.alerts.cli` (``add_commands``).
"""
