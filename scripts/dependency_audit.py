"""Audit the installed dependency set for known vulnerabilities with pip-audit.

    python scripts/dependency_audit.py [--ignore-file FILE] [--service pypi|osv] [--osv-url URL]

Exit status:

* 0: no known vulnerability with a fixed version, apart from the accepted ones listed
  in the ignore file; or the vulnerability service could not be reached or answered
  for no package (a warning says so: an offline build must not fail for that);
* 1: a known vulnerability that has a fixed version and is not accepted;
* 2: the ignore file is malformed (every entry needs an id, the package and a reason).

A vulnerability without a fixed version is reported as a warning: there is nothing to
upgrade to yet. An accepted entry that no longer matches anything is reported, so the
list is kept short.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_IGNORE = HERE / "dependency-audit-ignore.toml"
# Below this share of packages answered, the service is taken as unreachable.
ANSWERED_AT_LEAST = 0.5


@dataclass(frozen=True)
class Accepted:
    """A vulnerability reviewed and accepted (the ignore file)."""

    id: str
    package: str
    reason: str


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    ids: tuple[str, ...]
    fixed: tuple[str, ...]
    description: str


class IgnoreFileError(Exception):
    """The ignore file cannot be used."""


def read_ignores(path: Path) -> list[Accepted]:
    """The accepted vulnerabilities; each needs ``id``, ``package`` and ``reason``."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise IgnoreFileError(f"{path}: not valid TOML: {exc}") from None
    out = []
    for index, entry in enumerate(data.get("ignore", []), start=1):
        missing = [k for k in ("id", "package", "reason") if not str(entry.get(k, "")).strip()]
        if missing:
            raise IgnoreFileError(f"{path}: entry {index}: missing {', '.join(missing)}")
        out.append(Accepted(str(entry["id"]), _canonical(str(entry["package"])), entry["reason"]))
    return out


def run_pip_audit(
    service: str, osv_url: str | None, timeout: int, cache_dir: Path | None
) -> tuple[int, str, str]:
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off"]
    command += ["--skip-editable", "--timeout", str(timeout), "--vulnerability-service", service]
    if osv_url:
        command += ["--osv-url", osv_url]
    if cache_dir:
        command += ["--cache-dir", str(cache_dir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def findings(report: dict[str, Any]) -> tuple[list[Finding], int, int]:
    """The vulnerabilities found, the packages answered and the packages asked about."""
    found, answered, asked = [], 0, 0
    for dep in report.get("dependencies", []):
        asked += 1
        if "skip_reason" in dep:
            continue
        answered += 1
        for vuln in dep.get("vulns", []):
            found.append(
                Finding(
                    package=_canonical(dep["name"]),
                    version=str(dep.get("version", "")),
                    ids=(vuln["id"], *vuln.get("aliases", [])),
                    fixed=tuple(vuln.get("fix_versions", [])),
                    description=str(vuln.get("description", ""))[:160],
                )
            )
    return found, answered, asked


def judge(
    found: list[Finding], accepted: list[Accepted]
) -> tuple[list[Finding], list[Finding], list[tuple[Finding, Accepted]], list[Accepted]]:
    """Split the findings: failing (fixable, not accepted), unfixed, accepted; and the
    accepted entries that matched nothing."""
    failing, unfixed, ignored = [], [], []
    used: set[Accepted] = set()
    for finding in found:
        match = next(
            (a for a in accepted if a.package == finding.package and a.id in finding.ids), None
        )
        if match is not None:
            ignored.append((finding, match))
            used.add(match)
        elif finding.fixed:
            failing.append(finding)
        else:
            unfixed.append(finding)
    return failing, unfixed, ignored, [a for a in accepted if a not in used]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ignore-file", type=Path, default=DEFAULT_IGNORE)
    parser.add_argument("--service", choices=("pypi", "osv"), default="pypi")
    parser.add_argument("--osv-url", default=None, help="an OSV-compatible query URL")
    parser.add_argument("--timeout", type=int, default=15, help="seconds per request")
    parser.add_argument("--cache-dir", type=Path, default=None, help="pip-audit's HTTP cache")
    args = parser.parse_args(argv)
    try:
        accepted = read_ignores(args.ignore_file)
    except IgnoreFileError as exc:
        print(f"dependency audit: {exc}", file=sys.stderr)
        return 2
    code, out, err = run_pip_audit(args.service, args.osv_url, args.timeout, args.cache_dir)
    try:
        report = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        report = None
    if report is None:
        last = (err.strip().splitlines() or [f"pip-audit exited {code}"])[-1]
        print(
            "dependency audit: WARNING: not audited, the vulnerability service could not be "
            f"reached ({last[:200]})",
            file=sys.stderr,
        )
        return 0
    found, answered, asked = findings(report)
    if asked and answered / asked < ANSWERED_AT_LEAST:
        print(
            f"dependency audit: WARNING: not audited, the vulnerability service answered for "
            f"{answered} of {asked} packages (unreachable or not a full index?)",
            file=sys.stderr,
        )
        return 0
    failing, unfixed, ignored, stale = judge(found, accepted)
    for finding, why in ignored:
        print(f"accepted  {finding.package} {finding.version} {why.id}: {why.reason}")
    for finding in unfixed:
        print(
            f"WARNING   {finding.package} {finding.version} {'/'.join(finding.ids)}: no fixed "
            f"version yet ({finding.description})"
        )
    for entry in stale:
        print(f"note      {entry.package} {entry.id} is accepted but no longer found; remove it")
    for finding in failing:
        print(
            f"VULNERABLE {finding.package} {finding.version} {'/'.join(finding.ids)}: upgrade to "
            f"{' or '.join(finding.fixed)} ({finding.description})"
        )
    print(
        f"dependency audit: {answered} of {asked} packages audited, {len(found)} known "
        f"vulnerabilities ({len(failing)} to fix, {len(unfixed)} without a fix, "
        f"{len(ignored)} accepted)"
    )
    return 1 if failing else 0


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


if __name__ == "__main__":
    sys.exit(main())
