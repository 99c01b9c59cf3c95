"""Unreadable records: a batch write refuses by default; --broken keep copies them byte for byte
(ISO 2709 to ISO 2709), --broken drop (or --skip-broken) leaves them out; always named, exit 1."""

from pymarc import MARCReader

from tui.cli import main
from tui.core.formats import open_source


def test_broken_record_refuses_the_write_by_default(samples, tmp_path, capsys):
    out = tmp_path / "moved.mrc"
    assert main(["move-restricted-uris", str(samples / "mixed.mrc"), "-o", str(out)]) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert "--broken drop writes the rest" in capsys.readouterr().err


def test_skip_broken_writes_the_rest_and_names_what_it_left_out(samples, tmp_path, capsys):
    out = tmp_path / "moved.mrc"
    assert main(["move-restricted-uris", str(samples / "mixed.mrc"), "-o", str(out), "--skip-broken"]) == 1
    err = capsys.readouterr().err
    assert f"left out: {samples / 'mixed.mrc'}: record 10 at byte" in err
    with open(out, "rb") as fh:
        recs = [r for r in MARCReader(fh, to_unicode=True, force_utf8=True)]
    ids = [r["001"].data for r in recs]
    assert "bad0000000001" not in ids and "hm2x8q0k6c4v9bd" in ids
    moved = next(r for r in recs if r["001"].data == "hm2x8q0k6c4v9bd")
    assert [f.indicator2 for f in moved.get_fields("856")] == ["2"]  # URI-MOVE applied
    report = (tmp_path / "moved.mrc.report.txt").read_text("utf-8")
    assert "Unreadable records: 1: 0 kept byte for byte, 1 left out" in report and "record 10 at byte" in report


def test_broken_keep_copies_the_record_byte_for_byte_in_its_place(samples, tmp_path, capsys):
    src = open_source(samples / "mixed.mrc")
    out = tmp_path / "out.mrc"
    assert main(["export", str(samples / "mixed.mrc"), "-o", str(out), "--broken", "keep"]) == 1
    err = capsys.readouterr().err
    assert f"kept as it was: {samples / 'mixed.mrc'}: record 10 at byte" in err
    back = open_source(out)
    assert len(back) == len(src)
    # every record, the broken one too, byte for byte and in its place
    assert [back.raw(i) for i in range(len(back))] == [src.raw(i) for i in range(len(src))]
    assert "1 kept byte for byte, 0 left out" in (tmp_path / "out.mrc.report.txt").read_text("utf-8")


def test_broken_keep_into_another_format_is_refused_with_the_reason(samples, tmp_path, capsys):
    out = tmp_path / "out.xml"
    assert main(["export", str(samples / "mixed.mrc"), "-o", str(out), "--broken", "keep"]) == 1
    err = capsys.readouterr().err
    assert "only ISO 2709 to ISO 2709 keeps such a record" in err and str(samples / "mixed.mrc") in err
    assert list(tmp_path.iterdir()) == []
    assert main(["export", str(samples / "mixed.mrc"), "-o", str(out), "--broken", "drop"]) == 1
    assert out.exists()


def test_messages_name_the_users_file_never_a_temporary_one(samples, tmp_path, capsys):
    out = tmp_path / "out.mrc"
    main(["export", str(samples / "mixed.mrc"), "-o", str(out), "--broken", "drop"])
    captured = capsys.readouterr()
    assert ".tmp" not in captured.err + captured.out
    assert ".tmp" not in (tmp_path / "out.mrc.report.txt").read_text("utf-8")
