"""The dialogs of editing a field: its whole line, a subfield, an indicator, a control field, a new field."""
