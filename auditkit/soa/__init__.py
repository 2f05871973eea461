"""Statements of Applicability: per client and scheme, which Annex A controls apply, why, and
how far each is implemented; kept as numbered revisions that are never edited.

    entries    the content of a revision as plain values: checks, counts, changes (pure)
    importer   reading a CSV or XLSX file into entries, with a report of every bad row (pure)
    services   revisions in the database, the controls of a scheme, saving a new revision
    routes     the screens (blueprint `soa`, under /clients/<client_id>/soa)
    demo_data  the demo client's SoAs
"""
