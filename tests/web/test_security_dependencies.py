"""scripts/dependency_audit.py: pip-audit of the installed dependency set.

Run against a stand-in vulnerability service on loopback (the OSV query API, which
pip-audit speaks) that reports advisories for an installed package: a fixable one
fails the audit unless the ignore file accepts it with a reason, one without a fix
only warns, and an unreachable service warns without failing.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dependency_audit.py"
PACKAGE = "pyyaml"  # installed with csmetrics
pytestmark = pytest.mark.slow


def advisory(fixed: str | None) -> dict[str, Any]:
    events: list[dict[str, str]] = [{"introduced": "0"}]
    if fixed:
        events.append({"fixed": fixed})
    return {
        "id": "GHSA-test-0001-0001",
        "aliases": ["CVE-2099-0001"],
        "summary": "a made-up advisory for the test",
        "affected": [
            {
                "package": {"name": PACKAGE, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


class Service:
    """An OSV-style query endpoint on loopback; ``answer`` is what it says of PACKAGE."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] = {}
        self.asked: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                name = query["package"]["name"]
                service.asked.append(name)
                body = json.dumps(service.answer if name == PACKAGE else {}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/query"


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    found = Service()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    thread.join(timeout=10)


def audit(url: str, tmp_path: Path, ignore: str = "") -> subprocess.CompletedProcess[str]:
    ignore_file = tmp_path / "ignore.toml"
    ignore_file.write_text(ignore, "utf-8")
    options = ["--ignore-file", str(ignore_file), "--cache-dir", str(tmp_path / "cache")]
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--service", "osv", "--osv-url", url, *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_fixable_vulnerability_fails_the_audit(service, tmp_path):
    service.answer = {"vulns": [advisory("99.0")]}
    done = audit(service.url, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("VULNERABLE"))
    assert line.startswith(f"VULNERABLE {PACKAGE} {version(PACKAGE)} ")
    assert "GHSA-test-0001-0001" in line and "CVE-2099-0001" in line
    assert "upgrade to 99.0" in line
    assert "1 to fix" in done.stdout
    assert len(set(service.asked)) > 20  # the whole installed set was asked about


def test_an_accepted_vulnerability_passes_with_its_reason(service, tmp_path):
    service.answer = {"vulns": [advisory("99.0")]}
    accepted = (
        '[[ignore]]\nid = "CVE-2099-0001"\npackage = "PyYAML"\n'
        'reason = "the affected loader is never used"\n'
        '[[ignore]]\nid = "GHSA-gone-gone-gone"\npackage = "requests"\nreason = "old"\n'
    )
    done = audit(service.url, tmp_path, accepted)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "accepted  pyyaml" in done.stdout and "never used" in done.stdout
    assert "GHSA-gone-gone-gone is accepted but no longer found" in done.stdout


def test_a_vulnerability_without_a_fix_only_warns(service, tmp_path):
    service.answer = {"vulns": [advisory(None)]}
    done = audit(service.url, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no fixed version yet" in done.stdout and "0 to fix, 1 without a fix" in done.stdout


def test_a_clean_set_passes(service, tmp_path):
    service.answer = {}
    done = audit(service.url, tmp_path)
    assert done.returncode == 0 and "0 known vulnerabilities" in done.stdout


def test_an_unreachable_service_warns_and_passes(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens once the socket closes
    done = audit(f"http://127.0.0.1:{closed}/v1/query", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING: not audited, the vulnerability service could not be reached" in done.stderr


def test_an_ignore_entry_without_a_reason_is_refused(service, tmp_path):
    done = audit(service.url, tmp_path, '[[ignore]]\nid = "CVE-1"\npackage = "x"\n')
    assert done.returncode == 2
    assert "entry 1: missing reason" in done.stderr


def test_the_shipped_ignore_file_is_valid():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import dependency_audit
    finally:
        sys.path.remove(str(SCRIPT.parent))
    for entry in dependency_audit.read_ignores(dependency_audit.DEFAULT_IGNORE):
        assert len(entry.reason) > 20, entry
