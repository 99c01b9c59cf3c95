"""Record sources: a file of records addressed by number, indexed by offsets, parsed on demand."""
