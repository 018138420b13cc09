"""Complaints: what a case is."""
