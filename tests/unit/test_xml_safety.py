"""MARCXML reading: no DTDs, no entity expansion, no external entities, no network, bounded memory.

Each hostile file is read in a child process with a hard address-space limit and a timeout, so
that a regression (an entity bomb that does expand) fails the test instead of the machine. The
child reads everything (open_source, every slot, raw bytes) and reports what it saw.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "data" / "hostile"

RECORD = (
    "<record xmlns='http://www.loc.gov/MARC21/slim'><leader>00000nam a2200000 i 4500</leader>"
    "<controlfield tag='001'>x1</controlfield><datafield tag='245' ind1='1' ind2='0'>"
    "<subfield code='a'>{}</subfield></datafield></record>"
)

_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    limit = int(sys.argv[2]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    t0 = time.time()
    from tui.core.formats import open_source
    from tui.core.model.record import LibrisError, LibrisRecord, BrokenRecord
    out = {"outcome": None, "texts": [], "broken": [], "issues": [], "count": 0}
    try:
        src = open_source(sys.argv[1])
        src.build_index()
        for i in range(len(src)):
            e = src.entry(i)
            src.raw(i)
            if isinstance(e, LibrisRecord):
                out["count"] += 1
                if len(out["texts"]) < 1000:
                    out["texts"].append(str(e.marc))
                out["issues"] += [x.describe() for x in e.issues]
            else:
                out["broken"].append(e.describe())
        out["outcome"] = "records"
    except LibrisError as exc:
        out["outcome"] = "error"
        out["error"] = str(exc)
    except ModuleNotFoundError as exc:
        out["outcome"] = "missing"
        out["error"] = exc.name
    except BaseException as exc:
        out["outcome"] = "crash"
        out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    out["seconds"] = time.time() - t0
    # the peak of this process's own memory: VmHWM (ru_maxrss would include the parent's peak,
    # which Linux carries across fork+exec: a long pytest run's size, not the reader's)
    try:
        with open("/proc/self/status") as fh:
            out["maxrss_mb"] = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(json.dumps(out))
""")


def read_in_child(path: Path, memory_mb: int = 1024, timeout: float = 30) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(memory_mb)],
            capture_output=True,
            timeout=timeout,
            env=env,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path.name} did not end within {timeout} s")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    out = json.loads(proc.stdout)
    if out["outcome"] == "missing":
        pytest.skip(f"{out['error']} is not built yet")
    assert out["outcome"] in ("records", "error"), out.get("error")
    return out


def everything(out: dict) -> str:
    return "\n".join(out["texts"] + out["broken"] + out["issues"] + [out.get("error", "")])


@pytest.fixture
def secret(tmp_path) -> tuple[Path, str]:
    token = "SECRET-" + os.urandom(8).hex()
    p = tmp_path / "secret.txt"
    p.write_text(token + "\n")
    return p, token


@pytest.mark.parametrize("name", ["billion-laughs.xml", "quadratic-blowup.xml"])
def test_entity_bombs_end_at_once(name):
    out = read_in_child(HOSTILE / name, memory_mb=1024)
    assert out["seconds"] < 5, out
    assert out["maxrss_mb"] < 400, out
    text = everything(out)
    assert "lollollol" not in text and "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq" * 1000 not in text
    assert out["outcome"] == "error" or out["broken"] or out["issues"], (
        "an entity bomb must be reported, not silently read"
    )


def test_internal_entities_are_not_expanded(tmp_path):
    p = tmp_path / "entity.xml"
    p.write_text(
        "<?xml version='1.0'?><!DOCTYPE record [<!ENTITY t 'EXPANDED-ENTITY'>]>" + RECORD.format("&t;"), "utf-8"
    )
    out = read_in_child(p)
    assert "EXPANDED-ENTITY" not in everything(out)


def test_xxe_local_file_is_never_read(tmp_path, secret):
    path, token = secret
    p = tmp_path / "xxe.xml"
    p.write_text(
        f"<?xml version='1.0'?><!DOCTYPE record [<!ENTITY x SYSTEM '{path.as_uri()}'>]>" + RECORD.format("&x;"), "utf-8"
    )
    out = read_in_child(p)
    assert token not in everything(out)
    # and the shipped one pointing at /etc/passwd
    out = read_in_child(HOSTILE / "xxe-file.xml")
    assert "root:" not in everything(out)


def test_external_dtd_and_parameter_entities_are_never_loaded(tmp_path, secret):
    path, token = secret
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f"<!ENTITY leak SYSTEM '{path.as_uri()}'><!ENTITY t '{token}'>")
    for i, doctype in enumerate(
        [f"<!DOCTYPE record SYSTEM '{dtd.as_uri()}'>", f"<!DOCTYPE record [<!ENTITY % d SYSTEM '{dtd.as_uri()}'> %d;]>"]
    ):
        p = tmp_path / f"dtd{i}.xml"
        p.write_text("<?xml version='1.0'?>" + doctype + RECORD.format("&t; &leak;"), "utf-8")
        out = read_in_child(p)
        assert token not in everything(out)
    for name in ("xxe-parameter.xml", "external-dtd.xml"):
        assert "root:" not in everything(read_in_child(HOSTILE / name))


def test_xinclude_is_not_processed(tmp_path, secret):
    path, token = secret
    p = tmp_path / "xi.xml"
    p.write_text(
        "<?xml version='1.0'?>"
        + RECORD.format(
            f"<xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='{path.as_uri()}' parse='text'/>"
        ),
        "utf-8",
    )
    assert token not in everything(read_in_child(p))


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        _Recorder.hits.append(self.path)
        body = b"<!ENTITY t 'FETCHED-OVER-HTTP'>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_no_network_access(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        cases = {
            "general": f"<!DOCTYPE record [<!ENTITY x SYSTEM '{base}/general'>]>" + RECORD.format("&x;"),
            "parameter": f"<!DOCTYPE record [<!ENTITY % p SYSTEM '{base}/parameter'> %p;]>" + RECORD.format("&t;"),
            "dtd": f"<!DOCTYPE record SYSTEM '{base}/dtd'>" + RECORD.format("&t;"),
            "schema": RECORD.replace(
                "<record ",
                f"<record xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "
                f"xsi:schemaLocation='http://www.loc.gov/MARC21/slim {base}/xsd' ",
            ).format("x"),
            "xinclude": RECORD.format(f"<xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='{base}/xi'/>"),
        }
        for name, body in cases.items():
            p = tmp_path / f"net-{name}.xml"
            p.write_text("<?xml version='1.0'?>" + body, "utf-8")
            out = read_in_child(p)
            assert "FETCHED-OVER-HTTP" not in everything(out), name
        time.sleep(0.2)
        assert _Recorder.hits == [], f"the reader fetched {_Recorder.hits}"
    finally:
        server.shutdown()
        server.server_close()


def test_deep_nesting_ends_cleanly():
    out = read_in_child(HOSTILE / "deep.xml")
    assert out["seconds"] < 10


def test_plain_doctype_does_not_stop_good_records(tmp_path):
    """A harmless DOCTYPE (some exporters write one) is ignored or refused, never processed."""
    p = tmp_path / "doctype.xml"
    p.write_text(
        "<?xml version='1.0'?><!DOCTYPE collection><collection xmlns='http://www.loc.gov/MARC21/slim'>"
        + RECORD.format("Titel").replace(" xmlns='http://www.loc.gov/MARC21/slim'", "")
        + "</collection>",
        "utf-8",
    )
    out = read_in_child(p)
    assert out["outcome"] == "error" or out["texts"] or out["broken"]


def test_huge_text_node_memory_is_bounded(tmp_path):
    """A 40 MB subfield: read, refused or broken, but within a bounded amount of memory."""
    p = tmp_path / "huge.xml"
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("<?xml version='1.0'?><collection xmlns='http://www.loc.gov/MARC21/slim'>")
        fh.write(RECORD.format("x" * (40 << 20)).replace(" xmlns='http://www.loc.gov/MARC21/slim'", ""))
        fh.write(RECORD.format("after the huge one").replace(" xmlns='http://www.loc.gov/MARC21/slim'", ""))
        fh.write("</collection>")
    out = read_in_child(p, memory_mb=2048, timeout=60)
    assert out["maxrss_mb"] < 1024, out["maxrss_mb"]
    if out["outcome"] == "records":
        assert any("after the huge one" in t for t in out["texts"]), "the record after a huge one stays readable"


def test_many_records_memory_is_bounded(tmp_path):
    """Indexing 20 000 records does not parse them all into memory at once."""
    p = tmp_path / "many.xml"
    rec = RECORD.replace(" xmlns='http://www.loc.gov/MARC21/slim'", "")
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("<?xml version='1.0'?><collection xmlns='http://www.loc.gov/MARC21/slim'>")
        for i in range(20_000):
            fh.write(rec.format(f"Titel {i} " + "y" * 200))
        fh.write("</collection>")
    out = read_in_child(p, memory_mb=2048, timeout=120)
    assert out["outcome"] == "records" and out["count"] == 20_000
    assert out["maxrss_mb"] < 700, out["maxrss_mb"]
