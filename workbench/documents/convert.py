"""Files to text: TXT, Markdown, HTML, PDF and DOCX, each refused with one clear message
naming the file when it cannot be read.

Why pypdf + python-docx (and the standard library's HTML parser) rather than markitdown:
both are small, pure-Python, long-maintained libraries with no model downloads and few
dependencies (python-docx needs lxml); markitdown pulls in a much larger tree (magika's ONNX
model, onnxruntime, many optional converters) for formats we do not offer. What each library
gives is enough here: PDF text per page, DOCX paragraphs with their heading styles (kept as
Markdown headings, so passages know their section), and the document's core properties
(title, author, date) as defaults the user can change.

The kind is decided from the bytes, not only the name: a DOCX renamed ``.pdf`` is named as a
DOCX, and a binary file with a text extension is refused instead of indexed as noise.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import PurePath

from workbench.errors import InvalidInput

MAX_BYTES = 50 * 1024 * 1024  # 50 MB: a handbook is far smaller; a bigger file is almost surely a mistake
KINDS = {"txt": "txt", "text": "txt", "md": "md", "markdown": "md", "html": "html", "htm": "html"}
KINDS.update({"pdf": "pdf", "docx": "docx"})
ACCEPTED = ("txt", "md", "markdown", "html", "htm", "pdf", "docx")


@dataclass(frozen=True)
class Converted:
    """A file's text and what the file itself says about it (defaults for the form)."""

    text: str
    kind: str  # txt | md | html | pdf | docx | text (pasted)
    title: str = ""
    author: str = ""
    published: date | None = None


def _refuse(name: str, why: str) -> InvalidInput:
    return InvalidInput(f"{name}: {why}", field="file")


def _sniff(data: bytes) -> str | None:
    """The kind the bytes themselves show (PDF and ZIP-based files), or None for text."""
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        return "docx" if "word/document.xml" in names else "zip"
    return None


def kind_of(name: str) -> str:
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if suffix not in KINDS:
        raise _refuse(name, f"'.{suffix or '?'}' files are not supported. Upload {', '.join(ACCEPTED)}.")
    return KINDS[suffix]


def convert(name: str, data: bytes) -> Converted:
    """The text of the file ``name`` holding ``data``; ``InvalidInput`` naming the file when it
    is empty, too big, of another kind than its name says, corrupt or not text."""
    kind = kind_of(name)
    if not data.strip():
        raise _refuse(name, "the file is empty.")
    if len(data) > MAX_BYTES:
        raise _refuse(
            name,
            f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB. "
            "Split it, or upload only the part you need.",
        )
    actual = _sniff(data)
    if actual == "docx" and kind != "docx":
        raise _refuse(name, "this is a Word (DOCX) file with another extension. Rename it to .docx.")
    if actual == "pdf" and kind != "pdf":
        raise _refuse(name, "this is a PDF file with another extension. Rename it to .pdf.")
    if actual == "zip":
        raise _refuse(name, "this is a ZIP archive, not a document. Unpack it and upload the files.")
    if kind == "pdf":
        if actual != "pdf":
            raise _refuse(name, "this is not a PDF (it does not start like one). Check the file.")
        converted = _pdf(name, data)
    elif kind == "docx":
        if actual != "docx":
            raise _refuse(name, "this is not a Word (DOCX) file. Save it as .docx and try again.")
        converted = _docx(name, data)
    else:
        text = decode_text(name, data)
        converted = (
            Converted(html_to_markdown(text), "html", title=_html_title(text))
            if kind == "html"
            else (Converted(text, kind))
        )
    if not converted.text.strip():
        hint = " It may be scanned images: this workbench reads text, not pictures." if kind == "pdf" else ""
        raise _refuse(name, "no text could be read from it." + hint)
    return converted


def decode_text(name: str, data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 with a mark, else Windows-1252. A file
    with NUL bytes is binary, not text, and is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise _refuse(
            name, "the file contains NUL bytes, so it is binary, not text. Export it as plain text."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# ---- PDF ----------------------------------------------------------------------------------


def _pdf(name: str, data: bytes) -> Converted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _refuse(name, "the PDF is password-protected. Save an unprotected copy and upload that.")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
    except InvalidInput:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise _refuse(
            name, f"the PDF is damaged and cannot be read ({type(exc).__name__}). Re-export it."
        ) from None
    when = getattr(meta, "creation_date", None) if meta else None
    return Converted(
        "\n\n".join(p.strip() for p in pages),
        "pdf",
        title=str(getattr(meta, "title", "") or "") if meta else "",
        author=str(getattr(meta, "author", "") or "") if meta else "",
        published=when.date() if isinstance(when, datetime) else None,
    )


# ---- DOCX ---------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:Heading|Überschrift|Titre)\s*(\d)$", re.I)


def _docx(name: str, data: bytes) -> Converted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise _refuse(name, f"the Word file is damaged and cannot be read ({type(exc).__name__}).") from None
    lines = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = paragraph.style.name if paragraph.style is not None else ""
        level = _HEADING_STYLE.match(style or "")
        if style == "Title":
            lines.append(f"# {text}")
        elif level:
            lines.append(f"{'#' * min(6, int(level.group(1)) + 1)} {text}")
        elif (style or "").startswith("List"):
            lines.append(f"- {text}")
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    props = document.core_properties
    when = props.created
    return Converted(
        "\n\n".join(lines),
        "docx",
        title=props.title or "",
        author=props.author or "",
        published=when.date() if isinstance(when, datetime) else None,
    )


# ---- HTML ---------------------------------------------------------------------------------

_BLOCK = {"p", "div", "section", "article", "br", "li", "tr", "table", "ul", "ol", "blockquote", "pre"}
_SKIP = {"script", "style", "head", "nav", "footer", "noscript", "template", "svg"}


class _Markdown(HTMLParser):
    """HTML to plain Markdown: headings as ``#``, list items as ``-``, scripts and menus dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIP:
            self.skipping += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif re.fullmatch(r"h[1-6]", tag) or tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_markdown(html: str) -> str:
    parser = _Markdown()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _html_title(html: str) -> str:
    parser = _Markdown()
    parser.feed(html)
    return parser.title.strip()
