"""The clerks' photos (亮身份: name, staff number and photo shown at the window).

Each device that shows a clerk (the rating pad at the window, the window's own screen) reads
``assets/clerks/<staff number>.png`` on its own machine; the technician copies the photos
there. A staff number that is not plain letters and digits names no file (no path tricks).
"""

from __future__ import annotations

from pathlib import Path

CLERK_PHOTOS = Path(__file__).resolve().parent.parent / "assets" / "clerks"
PLACEHOLDER = "placeholder.png"


def own_photo(staff_id: str | None, folder: Path = CLERK_PHOTOS) -> Path | None:
    """The clerk's own photo, or None."""
    if staff_id and staff_id.isalnum():
        photo = folder / f"{staff_id}.png"
        if photo.is_file():
            return photo
    return None


def clerk_photo(staff_id: str | None, folder: Path = CLERK_PHOTOS) -> Path:
    """The clerk's own photo if there is one, else the placeholder silhouette."""
    return own_photo(staff_id, folder) or folder / PLACEHOLDER
