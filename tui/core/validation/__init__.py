"""Findings: structure, e-plikt rules, changes against an original; the Katalogsupport report."""
