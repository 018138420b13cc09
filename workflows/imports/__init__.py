"""Bringing a bank's history in: ``import_complaints`` (our case file and the CFPB public export)."""
