"""Every edit is a command object (check, apply, undo, describe); undo history; the crash-safe journal."""
