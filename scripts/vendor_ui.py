"""Vendor the web UI's JavaScript libraries from the npm registry into the package.

Users' machines may have no internet, so the UI serves these files itself
(``src/personae/ui/static/vendor/``). Each package is pinned by version and by the
registry's sha512 integrity, so a re-run gives the same bytes or fails:

    python scripts/vendor_ui.py          # downloads, checks and writes the files
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
VENDOR = Path(__file__).resolve().parents[1] / "src" / "personae" / "ui" / "static" / "vendor"

#: package, version, sha512 integrity of its tarball, files to keep (path in the tarball)
PACKAGES = [
    (
        "htmx.org",
        "2.0.11",
        "Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        ["dist/htmx.min.js"],
    ),
    (
        "cytoscape",
        "3.35.0",
        "sMvBIXiGMnhkCaWz2R06FwF/27MNlS+Tqvi17foO9UhnUg3XGZccKjxsvEqQFAQYMSSZmN5SxYzUYlQ0DOJJ3g==",
        ["dist/cytoscape.min.js"],
    ),
    (
        "vega",
        "5.33.1",
        "1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
        ["build/vega.min.js"],
    ),
    (
        "vega-lite",
        "5.23.0",
        "l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
        ["build/vega-lite.min.js"],
    ),
    (
        "vega-embed",
        "6.29.0",
        "PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
        ["build/vega-embed.min.js"],
    ),
    (
        "vega-interpreter",
        "1.2.1",
        "EMHLGxJ+SWfh1K/fHDRlHEZtLA/2ZNAXItYb5e8CxuAIm/Ha/3DHX/8VlvbTGIciUpuwmcKx4tVhJWlKreQ/Yw==",
        ["build/vega-interpreter.min.js"],
    ),
]


def fetch(name: str, version: str, integrity: str) -> bytes:
    tail = name.split("/")[-1]
    url = f"{REGISTRY}/{name}/-/{tail}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != integrity:
        sys.exit(f"{url}: sha512 {got} is not the pinned {integrity}; refusing to vendor it")
    return data


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    (VENDOR / "licenses").mkdir(exist_ok=True)
    lines = ["# Vendored by scripts/vendor_ui.py; do not edit by hand", ""]
    for name, version, integrity, files in PACKAGES:
        with tarfile.open(fileobj=io.BytesIO(fetch(name, version, integrity))) as tar:
            members = {m.name.removeprefix("package/"): m for m in tar.getmembers()}
            for path in files:
                data = tar.extractfile(members[path])
                assert data is not None
                (VENDOR / Path(path).name).write_bytes(data.read())
            license_file = next(
                (members[p] for p in ("LICENSE", "LICENSE.md", "LICENSE.txt") if p in members),
                None,
            )
            if license_file is not None:
                text = tar.extractfile(license_file)
                assert text is not None
                (VENDOR / "licenses" / f"{name}.txt").write_bytes(text.read())
        lines.append(f"{name} {version} sha512-{integrity}")
        print(f"vendored {name} {version}")
    (VENDOR / "VERSIONS.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
