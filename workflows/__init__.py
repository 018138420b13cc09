"""Workflows: how a case moves (transitions, clocks, escalation, notifications)."""
