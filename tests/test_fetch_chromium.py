"""tools/fetch_chromium.py: which packages it takes from apt-cache's answer (the download itself
runs in `make setup`; tests/test_status_page.py runs what it unpacked)."""
import fetch_chromium

DEPENDS = """chromium
  Depends: libasound2
  Depends: libc6
 |Depends: libgtk-3-0
  Depends: <xdg-desktop-portal-backend>
    xdg-desktop-portal-gtk
  Depends: chromium-common
  Recommends: upower
libpulse0
 |PreDepends: <virtual-a>
  PreDepends: real-b
"""


def test_the_first_real_alternative_of_each_dependency():
    assert fetch_chromium.first_alternatives(DEPENDS) == {
        "chromium": ["libasound2", "libc6", "libgtk-3-0", "chromium-common"],
        "libpulse0": ["real-b"],
    }


def test_gtk_is_never_fetched_for_headless_use():
    assert {"libgtk-3-0", "xdg-utils"} <= fetch_chromium.SKIP
