"""The web dashboard: the ledger, timelines per commitment or organisation, the live change feed.

Served by the API process at ``/`` (``build_router``); plain HTML, server-side SVG, one stylesheet
and one small script, no build step.
"""

from services.dashboard.routes import build_router

__all__ = ["build_router"]
