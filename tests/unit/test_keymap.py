"""Keymaps: the shipped ones are complete and SSH/tmux-safe; user files override; bad files are
reported with file and line and never stop the app."""

import tomllib

from tui import resources
from tui.core.settings import keymap as km
from tui.ui import actions


def _ids():
    return set(actions.DEFAULT_KEYS)


def test_default_toml_is_the_code_default_for_every_binding_id():
    data = tomllib.loads((resources.keymaps_dir() / "default.toml").read_text("utf-8"))
    assert data == actions.DEFAULT_KEYS


def test_required_ids_are_there():
    required = {
        "toggle-channel",
        "add-holding",
        "move-restricted-uris",
        "validate",
        "export",
        "edit-field",
        "add-field",
        "delete-field",
        "undo",
        "redo",
        "save",
        "search",
        "toggle-language",
        "next-record",
        "previous-record",
        "help",
        "quit",
    }
    assert required <= _ids()


def test_every_code_binding_has_an_id_in_the_registry():
    from tui.ui.app import LibrisApp
    from tui.ui.screens.main_screen import MainScreen
    from tui.ui.widgets.line_view import LineView
    from tui.ui.widgets.marc_view import MarcView
    from tui.ui.widgets.record_list import RecordList

    for cls in (MainScreen, RecordList, LineView, MarcView, LibrisApp):
        for b in cls.BINDINGS:
            if getattr(b, "system", False):
                continue
            assert b.id in _ids(), f"{cls.__name__}: binding {b.action} has no registered id"


def test_shipped_keymaps_load_without_problems():
    for name in ("default", "vim"):
        k = km.load_keymap(name, actions.DEFAULT_KEYS, actions.CLASH_SPACES, user_dir=resources.keymaps_dir() / "x")
        assert k.problems == [], [str(p) for p in k.problems]
        assert set(k.bindings) == _ids()


def test_shipped_keys_survive_ssh_and_tmux():
    for name in ("default", "vim"):
        data = tomllib.loads((resources.keymaps_dir() / f"{name}.toml").read_text("utf-8"))
        for binding_id, value in data.items():
            keys = [k.strip() for k in value.split(",")]
            for k in keys:
                assert k != "ctrl+b", f"{name}: {binding_id} uses tmux's prefix"
                assert not k.startswith(("super+", "hyper+")), f"{name}: {binding_id}: {k} needs kitty protocol"
                assert not ("ctrl+" in k and "shift+" in k), f"{name}: {binding_id}: {k} needs kitty protocol"
                assert km.key_problem(k) is None, (name, binding_id, k, km.key_problem(k))
            # XON/XOFF and job-control keys only ever as an alternative
            assert not all(k in km.NEEDS_ALTERNATIVE for k in keys), f"{name}: {binding_id}"


def test_vim_keymap_moves_with_hjkl():
    k = km.load_keymap("vim", actions.DEFAULT_KEYS, actions.CLASH_SPACES)
    assert "j" in k.keys("cursor-down") and "k" in k.keys("cursor-up")
    assert "h" in k.keys("previous-part") and "l" in k.keys("next-part")
    assert "slash" in k.keys("search")


def test_user_keymap_overrides_the_shipped_one(tmp_path):
    (tmp_path / "default.toml").write_text('toggle-channel = "t"\n', "utf-8")
    k = km.load_keymap("default", actions.DEFAULT_KEYS, actions.CLASH_SPACES, user_dir=tmp_path)
    assert k.keys("toggle-channel") == ["t"]
    assert k.keys("validate") == ["v"]  # the rest from the shipped file
    assert k.problems == []
    assert k.files[-1] == tmp_path / "default.toml"


def test_a_users_own_keymap_by_name(tmp_path):
    (tmp_path / "mine.toml").write_text('# mine\nquit = "f10"\n', "utf-8")
    k = km.load_keymap("mine", actions.DEFAULT_KEYS, actions.CLASH_SPACES, user_dir=tmp_path)
    assert k.name == "mine" and k.keys("quit") == ["f10"] and k.keys("help") == ["f1", "question_mark"]


def test_bad_entries_name_file_and_line_and_keep_the_rest(tmp_path):
    f = tmp_path / "default.toml"
    f.write_text(
        '# comment\nvalidate = "V"\ntogle-channel = "t"\nexport = "ctrl+frobnicate"\n'
        'save = 7\nsearch = "slash, ctrl+b"\n',
        "utf-8",
    )
    k = km.load_keymap("default", actions.DEFAULT_KEYS, actions.CLASH_SPACES, user_dir=tmp_path)
    msgs = [str(p) for p in k.problems]
    assert k.keys("validate") == ["V"]
    assert any(f"{f}, line 3: unknown binding id 'togle-channel'" in m and "toggle-channel" in m for m in msgs)
    assert any(f"{f}, line 4:" in m and "frobnicate" in m for m in msgs)
    assert k.keys("export") == ["x"]  # a wrong key keeps the shipped one
    assert any(f"{f}, line 5:" in m and "must be a string" in m for m in msgs)
    assert any(f"{f}, line 6:" in m and "tmux" in m for m in msgs)  # ctrl+b: a warning, kept
    assert k.keys("search") == ["slash", "ctrl+b"]


def test_broken_toml_is_ignored_with_its_line(tmp_path):
    f = tmp_path / "default.toml"
    f.write_text('validate = "v"\nexport = "x\n', "utf-8")
    k = km.load_keymap("default", actions.DEFAULT_KEYS, actions.CLASH_SPACES, user_dir=tmp_path)
    assert len(k.problems) == 1
    assert str(k.problems[0]).startswith(f"{f}, line 2: not valid TOML")
    assert k.bindings == actions.DEFAULT_KEYS


def test_clashes_are_reported(tmp_path):
    (tmp_path / "default.toml").write_text('validate = "c"\n', "utf-8")
    k = km.load_keymap("default", actions.DEFAULT_KEYS, actions.CLASH_SPACES, user_dir=tmp_path)
    assert any("'c' is also the key of" in str(p) for p in k.problems)


def test_pane_keys_may_shadow_global_ones():
    # enter opens a record in the list and edits in a view: not a clash
    assert km.clashes(actions.DEFAULT_KEYS, actions.CLASH_SPACES) == []


def test_unknown_keymap_name_falls_back(tmp_path):
    k = km.load_keymap("emacs", actions.DEFAULT_KEYS, actions.CLASH_SPACES, user_dir=tmp_path)
    assert k.name == "default" and "no keymap named 'emacs'" in str(k.problems[0])


def test_ctrl_s_alone_is_a_warning_with_an_alternative_it_is_fine(tmp_path):
    (tmp_path / "default.toml").write_text('save = "ctrl+s"\n', "utf-8")
    k = km.load_keymap("default", actions.DEFAULT_KEYS, actions.CLASH_SPACES, user_dir=tmp_path)
    assert [p.severity for p in k.problems] == ["warning"] and "XOFF" in str(k.problems[0])
    assert k.keys("save") == ["ctrl+s"]


def test_key_syntax():
    assert km.key_problem("ctrl+s") is None
    assert km.key_problem("f2") is None
    assert km.key_problem("question_mark") is None
    assert km.key_problem("?") is None
    assert km.key_problem("A") is None
    assert km.key_problem("right_square_bracket") is None
    assert km.key_problem("ctrl+shift+x")[0] == "warning"
    assert km.key_problem("super+s")[0] == "warning"
    assert km.key_problem("cmd+s")[0] == "error"
    assert km.key_problem("page down")[0] == "error"
    assert km.key_problem("ctrl+")[0] == "error"
