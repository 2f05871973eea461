"""Auditor records and audit scheduling with the team checks (domain.md §5.3, §5.4)."""
