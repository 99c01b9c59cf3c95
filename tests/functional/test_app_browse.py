"""Browsing: both views, channel records hidden until asked, linking, language, literal text."""

from __future__ import annotations

from functional_helpers import build_app, main_screen, marc_index, said, screen_text

SEED_TITLE = "Könsnormer i bildspråket - Fördjupning"


async def test_catalogue_record_in_both_views_channel_hidden(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        text = screen_text(app)
        # the label view, as in the seed
        assert f"Har titel / Titel / Huvudtitel: {SEED_TITLE}" in text
        assert "Bibliografi / Bibliotek / Sigel: EPLK" in text
        assert "INSTANS AV VERK" in text
        # the MARC view, in the seed's notation
        assert f"245 1/0 #a {SEED_TITLE} #h [Elektronisk resurs]" in text
        assert "024 8/_ #a 5.51c1ce3b160211ab52f3207a" in text
        # the channel record is hidden, and says so
        assert screen.records.count == 1
        assert "Statens medieråd" not in text
        assert "1 channel record hidden (c shows)" in text
        assert "Records (1, 1 channel hidden)" in text


async def test_toggle_channel_shows_and_hides(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("c")
        screen = main_screen(app)
        assert screen.records.count == 2
        await pilot.press("down")
        await pilot.pause()
        text = screen_text(app)
        # the channel record, shown exactly as given: brackets are data, malformed 856s as read
        assert "245 1/0 #a Statens medieråd, löpande #h [channel record]" in text
        assert "856 4/2 http://id.kb.se/organisations/SE2021006396 #z publisher" in text
        assert "856 4/0 #u #u http://id.kb.se/organisations/SE2021006396 #z supplier" in text
        assert "Medieterm: channel record" in text
        # every line of a channel record is read-only, and the list row is marked C
        assert all(
            ln.protection is not None and ln.protection.rule == "CHN-READONLY"
            for ln in screen.marc.lines
            if ln.selectable
        )
        assert "  2 ECS ? " in text  # e-plikt, channel, suppressed; its malformed 856s flagged
        await pilot.press("c")
        assert screen.records.count == 1
        assert screen.slot == 0  # back on the nearest record shown
        assert any("CHN-HIDE" in s for s in said(app))


async def test_next_and_previous_record(data_file):
    app = build_app(data_file("eplikt-restricted.txt"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        assert screen.slot == 0
        await pilot.press("n")
        assert screen.slot == 1
        assert "Ett vanligt verk" in screen_text(app)
        await pilot.press("p")
        assert screen.slot == 0


async def test_moving_in_one_view_highlights_the_same_data_in_the_other(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main_screen(app)
        screen.marc.focus()
        await pilot.pause()
        screen.marc.move_to(marc_index(app, "245"))
        await pilot.pause()
        linked = {screen.labels.lines[i].text for i in screen.labels.linked}
        assert f"Har titel / Titel / Huvudtitel: {SEED_TITLE}" in linked
        assert "Medieterm: Elektronisk resurs" in linked
        # a subfield: only its label line
        await pilot.press("right")  # $a
        linked = {screen.labels.lines[i].text for i in screen.labels.linked}
        assert linked == {f"Har titel / Titel / Huvudtitel: {SEED_TITLE}"}
        # and the other way: the label line of 506 highlights the 506 line and its $a
        screen.labels.focus()
        await pilot.pause()
        i = screen.labels.find_line(lambda ln: ln.text.endswith(": gratis"))
        screen.labels.move_to(i)
        await pilot.pause()
        assert [screen.marc.lines[j].text for j in screen.marc.linked] == ["506 -/- #a gratis"]
        assert screen.marc.linked_part == {marc_index(app, "506"): 1}


async def test_the_cursor_follows_into_the_other_view_when_tab_switches_panes(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main_screen(app)
        screen.labels.focus()
        await pilot.pause()
        i = screen.labels.find_line(lambda ln: ln.text.endswith(": gratis"))
        screen.labels.move_to(i)
        await pilot.pause()
        await pilot.press("tab")  # to the MARC view: its cursor is on the 506 the label line shows
        await pilot.pause()
        assert app.focused is screen.marc
        assert screen.marc.lines[screen.marc.cursor].text == "506 -/- #a gratis" and screen.marc.part == 1
        screen.marc.move_to(marc_index(app, "245"))
        await pilot.pause()
        await pilot.press("shift+tab")  # back: the label view's cursor is on a line of the 245
        await pilot.pause()
        assert app.focused is screen.labels
        assert screen.labels.cursor in screen.labels.linked or "245" in {
            r[0] for r in screen.labels.lines[screen.labels.cursor].refs
        }


async def test_one_numbering_of_records_in_the_list_the_status_line_and_validate(seed_file, tmp_path, capsys):
    """A hidden channel record before the shown one: the list, the status line and the findings
    all call the shown record by its number in the file."""
    first, second = seed_file.read_text("utf-8").split("\n\n", 1)
    p = tmp_path / "channel-first.txt"
    p.write_text(second.strip("\n") + "\n\n" + first.strip("\n") + "\n", "utf-8")
    app = build_app(p)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        assert screen.slot == 1
        text = screen_text(app)
        assert "│  2 E " in text  # the list's row
        assert "record 2 of 2, 1 channel record hidden" in text  # the status line
    from tui.cli import main

    main(["validate", str(p)])
    assert "record 2 001: no control number" in capsys.readouterr().out  # validate says the same


async def test_protected_data_says_why_when_focused(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main_screen(app)
        screen.marc.focus()
        await pilot.pause()
        screen.marc.move_to(marc_index(app, "506"))
        await pilot.pause()
        text = screen_text(app)
        assert "RO  506 -/- #a gratis" in text  # the mark reads without colour
        assert "RO EPL-PROTECT  506[1]: 506 access terms" in text
        assert "[Villkor för användning och åtkomst / Benämning]" in text  # Swedish label, literally
        screen.marc.move_to(marc_index(app, "245"))
        await pilot.pause()
        assert "may be completed and upgraded (EPL-UPGRADE)" in screen_text(app)


async def test_toggle_language(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("l")
        text = screen_text(app)
        assert "Labels (en)" in text
        assert "INSTANCE" in text and "INSTANS AV VERK" not in text
        await pilot.press("l")
        assert "INSTANS AV VERK" in screen_text(app)


async def test_narrow_terminal_switches_views(seed_file):
    app = build_app(seed_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        assert screen.has_class("-narrow")
        assert screen.marc.has_class("-hidden") and not screen.labels.has_class("-hidden")
        await pilot.press("o")
        assert screen.labels.has_class("-hidden") and not screen.marc.has_class("-hidden")
        assert app.focused is screen.marc
        assert "245 1/0 #a Könsnormer" in screen_text(app)
        await pilot.press("o")
        assert app.focused is screen.labels
        # wide again: both
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert not screen.has_class("-narrow")
        assert not screen.marc.has_class("-hidden") and not screen.labels.has_class("-hidden")


async def test_record_text_is_data_never_markup_or_terminal_codes(data_file):
    app = build_app(data_file("hostile.txt"))
    async with app.run_test(size=(160, 50)):
        text = screen_text(app)
        assert "[bold]Inte fet[/bold] och [channel record] i titeln" in text
        assert "Kontroll␛[31mtecken och ␇ klocka" in text
        assert "\x1b" not in text and "\x07" not in text
        # it is not a channel record: the brackets are in $a
        assert main_screen(app).records.count == 1


async def test_mouse_is_optional_everything_from_the_keyboard(seed_file):
    """Moving between panes and records needs no mouse: tab cycles the panes."""
    app = build_app(seed_file)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main_screen(app)
        assert app.focused is screen.records
        await pilot.press("tab")
        assert app.focused is screen.labels
        await pilot.press("tab")
        assert app.focused is screen.marc
        await pilot.press("enter")  # edit from the keyboard
        await pilot.pause()
        assert app.screen is not screen or any("Refused" in s for s in said(app))


async def test_a_broken_record_is_shown_with_its_reason_and_the_rest_stays_usable(data_file):
    app = build_app(data_file("broken.txt"))
    async with app.run_test(size=(160, 50)) as pilot:
        text = screen_text(app)
        assert "[red]Röd[/red] titel" in text
        assert "    ! unreadable: line 5: not a field line: '• [x] 1/0 #a konstig tagg'" in text
        await pilot.press("n")
        text = screen_text(app)
        assert "• [x] 1/0 #a konstig tagg" in text  # the raw lines, literally
        assert "not a field line" in text
        await pilot.press("e")  # nothing to edit in it, and no crash
        await pilot.press("p")
        assert main_screen(app).slot == 0


async def test_the_footer_shows_whole_key_hints_at_every_width(seed_file):
    """At 80x24 Textual's footer cut a hint (``hHoldi``) and showed a stray letter after the
    palette's key; now a hint is shown whole or not at all, and help and quit always are."""
    from rich.cells import cell_len
    from textual.widgets._footer import FooterKey

    from tui.ui.widgets.footer import Footer

    app = build_app(seed_file)
    async with app.run_test(size=(80, 24)) as pilot:
        for width in (80, 60, 100, 120, 160, 80):
            await pilot.resize_terminal(width, 24)
            for _ in range(3):
                await pilot.pause()
            footer = app.screen.query_one(Footer)
            keys = [k for k in footer.query(FooterKey) if k.display]
            palette = next(k for k in keys if k.has_class("-command-palette"))
            line = screen_text(app).splitlines()[-1]
            assert line.rstrip().endswith("^p Commands"), (width, line)
            shown = [k for k in keys if k is not palette]
            assert [k.description for k in shown[:2]] == ["Help", "Quit"], (width, line)
            for k in shown:
                r = k.region
                assert r.right <= palette.region.x, (width, k.description, r, palette.region)
                assert f"{k.key_display} {k.description}" in line, (width, k.description, line)
            assert cell_len(line) <= width
            hidden = [k.description for k in footer.query(FooterKey) if not k.display]
            for d in hidden:
                assert d[:3] not in line.replace("Commands", ""), (width, d, line)
