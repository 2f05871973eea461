"""Certifications, their three-year cycles, taking on certified clients and audit time."""
