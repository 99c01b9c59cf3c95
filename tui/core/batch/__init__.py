"""Whole-file work over raw bytes and record offsets: scans, counts, filters, parallel parts."""
