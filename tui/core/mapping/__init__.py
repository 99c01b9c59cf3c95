"""Libris's marcframe mapping: MARC 21 <-> Libris XL JSON-LD."""
