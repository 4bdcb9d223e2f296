"""Letters as PDF with WeasyPrint, offline.

The layout may only load what lies on this machine: the QR code comes as a data: URI, a logo as
a file under the documents folder; anything else (http, https, ftp, files elsewhere) is
refused, so a template can never make the server fetch a URL. Fonts are the system's DejaVu.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher


class RemoteFetchRefused(ValueError):
    pass


class LocalOnlyFetcher(URLFetcher):
    """Serve data: URIs and files under MEDIA_ROOT (logos); refuse every other URL."""

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(allowed_protocols={"data", "file"}, timeout=1)
        self.roots = [root.resolve() for root in roots]

    def fetch(self, url: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        scheme = url.split(":", 1)[0].lower()
        if scheme == "file":
            path = Path(url[len("file://") :].split("?")[0]).resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise RemoteFetchRefused(f"letters may not read {path}")
        elif scheme != "data":
            raise RemoteFetchRefused(f"letters never fetch remote resources ({url})")
        return super().fetch(url, headers)


_FONTS: FontConfiguration | None = None


def letter_pdf(html: str) -> bytes:
    """Render a letter's HTML (from rendering.render_template) to an A4 PDF."""
    global _FONTS
    if _FONTS is None:
        _FONTS = FontConfiguration()
    fetcher = LocalOnlyFetcher([Path(settings.MEDIA_ROOT)])
    document = HTML(string=html, url_fetcher=fetcher, base_url=str(settings.MEDIA_ROOT))
    return bytes(document.write_pdf(font_config=_FONTS))
