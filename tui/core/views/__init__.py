"""The two views of a record: Libris's label view and the MARC view, with source references."""
