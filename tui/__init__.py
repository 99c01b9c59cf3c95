"""libris-tui: a terminal browser and editor for Libris records with KB's e-plikt rules."""

__version__ = "0.1.0"
