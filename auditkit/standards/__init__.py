"""Checklists: shipped framework files and a body's own, loaded into immutable objects.

    model        Checklist, Item, Guidance, Kind, Source, Problem
    loader       one file -> LoadResult (checklist and problems)
    catalogue    every file of an installation, shipped ones cached once per process
    mapping      shared questions of integrated audits (domain.md 2.5)
    search       find items by id or words; the tree the browser shows
    ciso_assistant  import of CISO Assistant framework libraries
    schema       the file shapes (pydantic), source of checklists/schema.json
    versions     checklist versions in the database; the version each audit keeps

Everything here but cli.py, routes.py and versions.py is plain Python: no Flask, no database.
"""
