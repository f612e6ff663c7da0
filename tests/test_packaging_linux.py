"""Linux desktop integration: the .desktop entry, the AppStream metainfo, the .verbatim MIME type and the
icons validate with the freedesktop tools and agree with each other."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "packaging" / "linux"
APP_ID = "io.github.verbatim_studio.Verbatim"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
MIME_XML = LINUX / f"{APP_ID}.xml"
PROJECT_TYPE = "application/x-verbatim-project"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def test_desktop_entry_validates() -> None:
    result = _run("desktop-file-validate", str(DESKTOP))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_validates() -> None:
    result = _run("appstreamcli", "validate", "--no-net", str(METAINFO))
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_entry_opens_projects_and_media() -> None:
    entry = _desktop_entry()
    types = [t for t in entry["MimeType"].split(";") if t]
    assert PROJECT_TYPE in types
    assert {"audio/x-wav", "audio/mpeg", "audio/flac", "audio/mp4", "video/mp4", "video/x-matroska"} <= set(types)
    assert len(types) == len(set(types))
    # a file path reaches the program as its one argument (verbatim PATH opens it)
    assert entry["Exec"].split()[0] == "verbatim" and entry["Exec"].split()[1] in ("%f", "%F", "%u", "%U")
    assert entry["Icon"] == APP_ID and entry["Type"] == "Application"


def test_metainfo_names_the_desktop_file_screenshots_and_the_project_type() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == DESKTOP.name
    images = [el.text for el in root.iter("image")]
    assert any(text.endswith("first-run.png") for text in images)
    assert PROJECT_TYPE in [el.text for el in root.iter("mediatype")]
    # the screenshots the metainfo points at are the ones kept in the repository
    assert (ROOT / "resources" / "screenshots" / "first-run.png").is_file()


def test_mime_type_maps_the_extension_and_the_shared_mime_database_compiles_it(tmp_path: Path) -> None:
    root = ET.parse(MIME_XML).getroot()
    types = root.findall(f"{MIME_NS}mime-type")
    assert [t.get("type") for t in types] == [PROJECT_TYPE]
    assert [g.get("pattern") for g in types[0].findall(f"{MIME_NS}glob")] == ["*.verbatim"]
    if shutil.which("update-mime-database") is None:
        pytest.skip("update-mime-database is not installed")
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(MIME_XML, packages)
    result = subprocess.run(["update-mime-database", str(tmp_path / "mime")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    globs = (tmp_path / "mime" / "globs2").read_text(encoding="utf-8").splitlines()
    assert any(line.split(":")[1:3] == [PROJECT_TYPE, "*.verbatim"] for line in globs if not line.startswith("#"))


def test_icon_set_has_every_size() -> None:
    icons = ROOT / "resources" / "icons"
    ET.parse(icons / "verbatim.svg")  # well-formed SVG
    for size in ICON_SIZES:
        data = (icons / f"verbatim-{size}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (size, size)
