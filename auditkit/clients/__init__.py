"""Client organisations: details, sites, personnel per scheme, technical areas, contacts, the
AI systems in a 42001 scope, and bulk import of clients, sites and auditors."""
