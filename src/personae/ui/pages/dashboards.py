"""Dashboards (being written)."""

ROUTES: list[object] = []
