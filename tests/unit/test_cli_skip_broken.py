"""A broken record refuses a batch write unless --skip-broken: then the rest is written, exit 1."""

from pymarc import MARCReader

from tui.cli import main


def test_broken_record_refuses_the_write_by_default(samples, tmp_path, capsys):
    out = tmp_path / "moved.mrc"
    assert main(["move-restricted-uris", str(samples / "mixed.mrc"), "-o", str(out)]) == 1
    assert not out.exists()
    assert "--skip-broken writes the rest" in capsys.readouterr().err


def test_skip_broken_writes_the_rest_and_names_what_it_left_out(samples, tmp_path, capsys):
    out = tmp_path / "moved.mrc"
    assert main(["move-restricted-uris", str(samples / "mixed.mrc"), "-o", str(out), "--skip-broken"]) == 1
    err = capsys.readouterr().err
    assert "left out:" in err and "record 10 at byte" in err
    with open(out, "rb") as fh:
        recs = [r for r in MARCReader(fh, to_unicode=True, force_utf8=True)]
    ids = [r["001"].data for r in recs]
    assert "bad0000000001" not in ids and "hm2x8q0k6c4v9bd" in ids
    moved = next(r for r in recs if r["001"].data == "hm2x8q0k6c4v9bd")
    assert [f.indicator2 for f in moved.get_fields("856")] == ["2"]  # URI-MOVE applied
