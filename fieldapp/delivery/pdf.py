"""The archival PDF of a signed-off record: the print view's own macros, rendered on the server by WeasyPrint.

PDF/A-3b where WeasyPrint supports it (it embeds fonts and an output intent), page numbers and the sign-off in
the page margins, the child's drawing embedded from the encrypted store (never fetched over the network).
"""

from __future__ import annotations

import base64
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, has_request_context, render_template

from .document import SignedOffRecord

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "archival.css"


class PdfUnavailable(RuntimeError):
    """WeasyPrint's system libraries (Pango) are missing on this machine."""


def archival_pdf(signed: SignedOffRecord) -> bytes:
    try:
        from weasyprint import CSS, HTML
        from weasyprint.urls import URLFetcher
    except OSError as error:  # Pango absent: say so plainly rather than fail every delivery with a trace
        raise PdfUnavailable("The PDF library needs Pango (Debian: apt install libpango-1.0-0)") from error
    images = {
        item["id"]: f"data:{item['mime']};base64,{base64.b64encode(item['data']).decode()}"
        for item in signed.attachments
    }
    display = signed.display
    # The delivery worker renders outside any request; links in the record (to linked records) then point at
    # FIELDAPP_PUBLIC_URL, as the safety alerts' links do.
    with (
        nullcontext()
        if has_request_context()
        else current_app.test_request_context("/", base_url=current_app.config.get("PUBLIC_URL") or None)
    ):
        html = render_template(
            "delivery/archival.html",
            found=signed.as_page(),
            display=display,
            sections=display.sections(signed.body),
            images=images,
            signed=signed,
            reviews=[(signed.review, signed.review_comment)],
            generated_at=datetime.now(UTC),
        )
    # data: URLs only (the embedded drawing): nothing in a record can make the server fetch from anywhere.
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    stylesheet = CSS(string=STYLESHEET.read_text(), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], pdf_variant="pdf/a-3b")
