"""The record model: pymarc's Record wrapped with provenance, broken entries, holdings links, safe text."""
