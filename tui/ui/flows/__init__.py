"""The main screen's flows, one module each: what the cataloguer does, step by step.

``MainScreen`` (``tui.ui.screens.main_screen``) holds the widgets and the frame pacing and
composes these; each flow is a plain object with a back-reference to the screen (``Flow``):

* ``indexing``: the record index and the channel filter (CHN-HIDE), built by a polite worker;
* ``navigation``: the record list, showing a record in both views, linking them, reason bar,
  status line, search;
* ``editing``: where an edit goes, the edit dialogs, undo and redo;
* ``holdings``: HOLD-ADD, SUP-CLEAR and URI-MOVE;
* ``validation``: findings, the marks they put in the list, jumping to a finding;
* ``writing``: export, save, and quitting with unsaved changes;
* ``journal``: the crash journal, restoring what a session that ended badly left behind.

Flows never import the screen (nor each other): they reach one another through it
(``self.screen.editing``), so the import graph stays a tree.
"""
