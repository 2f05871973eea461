"""The programme managers' dashboard: what needs attention across the whole body."""
