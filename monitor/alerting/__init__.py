"""Alerting: alert types, the alert store, the officers' workflow and silences.

Rules that propose alerts live beside it in :mod:`monitor.rules`, and their delivery in
:mod:`monitor.delivery`; both import the types from here, never the other way round.
"""
