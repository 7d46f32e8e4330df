"""OCR of scanned PDFs and page images: Tesseract with its Vietnamese model, page by page.

Rendering: pypdfium2 (PDFium in a wheel) turns one PDF page at a time into a greyscale image.
Recognition: the `tesseract` binary (Debian: tesseract-ocr, tesseract-ocr-vie), called by the
small wrapper below that sends the page as PNG on stdin and reads TSV (words, their line, their
confidence) on stdout. Not OCRmyPDF: it writes a new searchable PDF whose text layer we would
extract again, without confidences, through a heavier stack (pikepdf, Ghostscript, a worker
pool). Not pytesseract either, though it reads the same TSV: it gives no way to set the child's
environment, and Tesseract's OpenMP threads fight over our two cores — OMP_THREAD_LIMIT=1 made a
page 3.5× faster here (0.9 s instead of 3.2 s) — and it goes through temporary files and leaves
the child running if the read is interrupted; this wrapper kills it.

Per page: greyscale, a 3×3 median filter against scanner speckle, a projection-profile deskew
(Tesseract copes with small skew in layout analysis but reads straight lines better), then OCR.
Only one page image is alive at a time, so a 20-page letter is read in bounded memory; an
image's pixel count is checked from its header before it is decoded (KB_MAX_IMAGE_MEGAPIXELS) and
a page larger than KB_OCR_MAX_SIDE_PX is scaled down before any conversion or OCR. Recognised
text is NFC-normalised (clean_lines) and goes to the same structure parser as any PDF text. Each
page's mean word confidence is kept; a page under LOW_CONFIDENCE is named in a note
(LegalDocument.warnings) so staff check it against the paper.

A page is recognised once per file: when the caller set an OcrCache (ingest.readers.ocr_cache,
`using_ocr_cache`), each page read is stored under the file's SHA-256 and the engine's recipe, and
a later read of the same bytes (the ingest after the preview) takes it from there.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from ingest.limits import DEFAULT_LIMITS, Limits, check_image_pixels, image_too_large
from ingest.model import ReaderError
from ingest.readers.notes import note
from ingest.readers.ocr_cache import current_cache, file_sha256
from ingest.text import clean_lines

TESSERACT = "tesseract"  # looked up on PATH
LANGUAGE = "vie"
PDF_DPI = 300
# When a page is flagged for checking by hand. Tesseract's LSTM is confident even when wrong, so
# the page mean barely moves on a bad scan (96 clean, 91–93 with misread words here); the share of
# doubtful words moves more (0 % clean, 6 % on those pages).
LOW_CONFIDENCE = 85.0  # mean word confidence (0–100) of the page
DOUBTFUL_WORD = 75.0  # a word under this confidence is doubtful …
MAX_DOUBTFUL_SHARE = 0.03  # … and a page with more than this share of them is flagged
PAGE_TIMEOUT_S = 120
# A page is rendered at PDF_DPI unless that makes its long side larger than Limits.max_side_px
# (KB_OCR_MAX_SIDE_PX: a poster-size page); a larger page image is scaled down to it.
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-vie"
PSM = 3
# The version of what prepare_page does to a page before Tesseract sees it: part of the OCR cache's
# recipe, so bump it whenever the preparation changes (a cached page would no longer be what it gives).
PREP_VERSION = 1


@dataclass
class PageText:
    number: int  # 1-based, in the file's order
    lines: list[str]
    confidence: float | None  # mean word confidence, weighted by word length; None: no word found
    doubtful: float = 0.0  # share of words under DOUBTFUL_WORD

    @property
    def low(self) -> bool:
        return self.confidence is not None and (self.confidence < LOW_CONFIDENCE or self.doubtful > MAX_DOUBTFUL_SHARE)


class OcrPageError(Exception):
    def __init__(self, number: int, reason: str):
        super().__init__(reason)
        self.number, self.reason = number, reason


# ---------------------------------------------------------------- the tesseract binary


def tesseract_binary() -> str | None:
    return shutil.which(TESSERACT)


def _languages(binary: str) -> frozenset[str]:
    """Asked per file, not cached: a model installed while the app runs is used at once."""
    try:
        done = subprocess.run([binary, "--list-langs"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    # first line: 'List of available languages in "…" (3):'
    return frozenset(l.strip() for l in done.stdout.decode("utf-8", "replace").splitlines()[1:] if l.strip())


def engine_identity(binary: str, language: str) -> str:
    """Which engine and models recognise the pages: Tesseract's version line, and each language
    model's size and modification time (a model reinstalled or upgraded changes it)."""
    def first_lines(*args) -> list[str]:
        try:
            done = subprocess.run([binary, *args], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return []
        return (done.stdout + done.stderr).decode("utf-8", "replace").splitlines()

    version = next(iter(first_lines("--version")), "?").strip()
    listing = next(iter(first_lines("--list-langs")), "")
    folder = listing.split('"')[1] if listing.count('"') >= 2 else ""
    models = []
    for lang in language.split("+"):
        try:
            st = os.stat(Path(folder) / f"{lang}.traineddata")
            models.append(f"{lang}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            models.append(f"{lang}:?")
    return f"{version}|{','.join(models)}"


def check_ocr(path, what: str, language: str = LANGUAGE) -> str:
    """The tesseract binary to use; refuses, saying exactly what to install, when Tesseract or its
    Vietnamese model is missing."""
    binary = tesseract_binary()
    if binary is None:
        raise ReaderError(str(path), f"{what}: cần nhận dạng chữ (OCR) nhưng máy chưa cài Tesseract; "
                                     f"cài: {INSTALL_HINT}")
    missing = [lang for lang in language.split("+") if lang not in _languages(binary)]
    if missing:
        raise ReaderError(str(path), f"{what}: cần nhận dạng chữ (OCR) nhưng Tesseract chưa có mô hình "
                                     f"ngôn ngữ {', '.join(missing)}; cài: {INSTALL_HINT}")
    return binary


def run_tesseract(binary: str, image, language: str, number: int) -> list[dict]:
    """One page image -> Tesseract's TSV rows (dicts keyed by the TSV header)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    # One OpenMP thread: on two cores Tesseract's threads slow each other down (see module doc).
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    cmd = [binary, "stdin", "stdout", "-l", language, "--psm", str(PSM), "--dpi", str(PDF_DPI), "tsv"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        out, err = proc.communicate(buf.getvalue(), timeout=PAGE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise OcrPageError(number, f"OCR quá {PAGE_TIMEOUT_S} giây") from None
    finally:
        if proc.poll() is None:  # timed out or interrupted (time limit): never leave it running
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise OcrPageError(number, f"Tesseract báo lỗi ({err.decode('utf-8', 'replace').strip()[-300:]})")
    rows = out.decode("utf-8", "replace").splitlines()
    if not rows:
        return []
    header = rows[0].split("\t")
    return [dict(zip(header, r.split("\t"))) for r in rows[1:] if r]


# ---------------------------------------------------------------- image preparation


def _skew_score(binary) -> float:
    """How sharply the text rows stand out: straight lines give tall, narrow row-sum peaks."""
    import numpy as np

    rows = np.asarray(binary, dtype=np.float32).sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(image, max_angle: float = 5.0) -> float:
    """Projection-profile skew estimate in degrees (rotate the image by it to straighten it)."""
    from PIL import Image

    small = image.copy()
    small.thumbnail((1000, 1000))
    # ink = 255 so that rotation fills the corners with "no ink" (0)
    binary = small.point(lambda v: 255 if v < 128 else 0).convert("L")

    def score(angle: float) -> float:
        return _skew_score(binary.rotate(angle, resample=Image.NEAREST, fillcolor=0))

    best = max((a / 2 for a in range(int(-max_angle * 2), int(max_angle * 2) + 1)), key=score)
    fine = [best + d / 10 for d in range(-5, 6)]
    return max(fine, key=score)


def prepare_page(image):
    """Greyscale, speckle removed, deskewed."""
    from PIL import Image, ImageFilter

    image = image.convert("L").filter(ImageFilter.MedianFilter(3))
    angle = estimate_skew(image)
    if abs(angle) >= 0.1:
        image = image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    return image


# ---------------------------------------------------------------- recognition


def ocr_page(binary: str, image, number: int, language: str = LANGUAGE) -> PageText:
    """One page image -> its lines in reading order and its confidence."""
    lines: dict[tuple[str, str, str], list[str]] = {}
    weighted, chars, words, doubtful = 0.0, 0, 0, 0
    for row in run_tesseract(binary, prepare_page(image), language, number):
        word = (row.get("text") or "").strip()
        if row.get("level") != "5" or not word:
            continue
        lines.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(word)
        conf = float(row.get("conf") or -1)
        if conf >= 0:
            weighted += conf * len(word)
            chars += len(word)
            words += 1
            doubtful += conf < DOUBTFUL_WORD
    return PageText(number, clean_lines(" ".join(ws) for ws in lines.values()),
                    weighted / chars if chars else None, doubtful / words if words else 0.0)


def _note_pages(pages: list[PageText], language: str) -> None:
    read = [p for p in pages if p.confidence is not None]
    if read:
        mean = sum(p.confidence for p in read) / len(read)
        numbers = ", ".join(str(p.number) for p in pages)
        note(f"Văn bản nhận dạng bằng OCR (Tesseract, {language}) từ ảnh quét: trang {numbers}; "
             f"độ tin cậy trung bình {mean:.0f}/100 — đối chiếu với bản gốc trước khi trích dẫn")
    for p in pages:
        if p.confidence is None:
            note(f"Trang {p.number}: OCR không nhận ra chữ nào (trang trắng hoặc chỉ có hình)")
        elif p.low:
            note(f"Trang {p.number}: độ tin cậy OCR thấp (trung bình {p.confidence:.0f}/100, {p.doubtful:.0%} số từ "
                 f"dưới {DOUBTFUL_WORD:.0f}) — kiểm tra kỹ trang này với bản giấy")


def _recipe(binary: str, language: str, how: str) -> str:
    """The OCR cache's recipe: the engine, the language and every setting that changes what Tesseract sees."""
    return (f"{engine_identity(binary, language)}|lang={language}|psm={PSM}|dpi={PDF_DPI}|prep={PREP_VERSION}"
            f"|doubtful={DOUBTFUL_WORD}|{how}")


def _page_record(page: PageText) -> dict:
    return {"lines": page.lines, "confidence": page.confidence, "doubtful": page.doubtful}


def _cached_page(number: int, record: dict) -> PageText:
    return PageText(number, [str(l) for l in record["lines"]], record.get("confidence"), record.get("doubtful") or 0.0)


def _run(path, binary: str, numbered_images, language: str, deadline=None, how: str = "") -> list[PageText]:
    """OCR (page number, image factory) pairs one at a time; a page that fails is reported by number.
    `deadline` (ingest.limits.Deadline) is checked between pages: the web UI's threads cannot be
    interrupted, so a 500-page scan must stop itself. With an OCR cache set, a page already
    recognised from these bytes with this recipe (`how`: the reader's own settings) is not read
    again, and each page recognised here is stored at once."""
    cache = current_cache()
    sha = recipe = ""
    known: dict[int, dict] = {}
    if cache is not None:
        try:
            sha, recipe = file_sha256(path), _recipe(binary, language, how)
            known = cache.pages(sha, recipe)
        except OSError:
            cache = None
    pages = []
    for number, load in numbered_images:
        if number in known:
            pages.append(_cached_page(number, known[number]))
            continue
        if deadline is not None:
            deadline.check()
        image = load()
        try:
            pages.append(ocr_page(binary, image, number, language))
        except OcrPageError as exc:
            raise ReaderError(str(path), f"trang {exc.number}: {exc.reason}") from exc
        finally:
            image.close()
        if cache is not None:
            known[number] = _page_record(pages[-1])
            cache.put(sha, recipe, known)
    _note_pages(pages, language)
    return pages


def ocr_missing_pdf_pages(path, pages: list[list[str]], what: str, deadline=None,
                          language: str = LANGUAGE, limits: Limits = DEFAULT_LIMITS) -> list[list[str]]:
    """`pages` as the text layer gave them; the pages without text are rendered and OCR'd.

    A PDF with no text at all is refused when OCR is unavailable; one with some text keeps it and
    notes the pages that could not be OCR'd."""
    import pypdfium2 as pdfium

    missing = [i for i, lines in enumerate(pages) if not lines]
    if not missing:
        return pages
    try:
        binary = check_ocr(path, what, language)
    except ReaderError as exc:
        if not any(pages):
            raise
        note(f"Trang {', '.join(str(i + 1) for i in missing)} không có lớp văn bản và chưa OCR được "
             f"({exc.reason.split(': ', 1)[-1]}) — nội dung các trang này chưa được nạp")
        return pages
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ReaderError(str(path), f"không dựng được trang PDF để OCR ({exc})") from exc

    def render(index: int):
        def load():
            page = pdf[index]
            try:
                width, height = page.get_size()  # points
                scale = min(PDF_DPI / 72, limits.max_side_px / max(width, height, 1))
                bitmap = page.render(scale=scale, grayscale=True)
                try:
                    return bitmap.to_pil().copy()  # detached from the bitmap's buffer, freed below
                finally:
                    bitmap.close()
            finally:
                page.close()
        return load

    try:
        done = _run(path, binary, [(i + 1, render(i)) for i in missing], language, deadline,
                    f"pdf|side={limits.max_side_px}")
    finally:
        pdf.close()
    out = list(pages)
    for i, page in zip(missing, done):
        out[i] = page.lines
    return out


# An image's dpi field is unreliable (phone photos say 72): size decides. A long side under this
# is enlarged (at most 3×) so that body text reaches the size Tesseract reads best (~300 dpi A4).
MIN_LONG_SIDE_PX = 3000


def _image_frames(path, limits: Limits = DEFAULT_LIMITS):
    """(page number, loader) for each frame of a PNG/JPEG/TIFF, opened lazily one at a time.

    Image.open reads the header only: the size is checked before a pixel is decoded, for every
    frame (each TIFF frame has its own). PIL's own guard (DecompressionBombError, at twice its
    MAX_IMAGE_PIXELS) stays as a backstop and is reported the same way."""
    from PIL import Image

    # the header check below replaces PIL's warning (English, on stderr) between 1× and 2× its limit
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    try:
        with Image.open(path) as im:
            check_image_pixels(path, im.size, limits)
            count = getattr(im, "n_frames", 1)
    except Image.DecompressionBombError as exc:
        raise image_too_large(path, limits) from exc
    except OSError as exc:
        raise ReaderError(str(path), "ảnh bị hỏng hoặc không phải định dạng ảnh đọc được (PNG, JPEG, TIFF); xuất lại ảnh rồi nạp lại") from exc

    def frame(index: int):
        def load():
            try:
                with Image.open(path) as im:
                    im.seek(index)
                    check_image_pixels(path, im.size, limits, index + 1)
                    _draft(im, limits.max_side_px)
                    page = im.convert("RGBA") if "A" in im.getbands() or "transparency" in im.info else im.copy()
            except Image.DecompressionBombError as exc:
                raise image_too_large(path, limits, index + 1) from exc
            except (OSError, ValueError, EOFError) as exc:
                raise ReaderError(str(path), f"trang {index + 1}: ảnh bị hỏng nên không đọc được; xuất lại ảnh rồi nạp lại") from exc
            if page.mode == "RGBA":  # transparent background: put the ink on white paper
                page = Image.alpha_composite(Image.new("RGBA", page.size, "white"), page).convert("L")
            long_side = max(page.size)
            if long_side > limits.max_side_px:  # greyscale first (OCR reads grey): a third of the memory
                page = page.convert("L")
                page.thumbnail((limits.max_side_px, limits.max_side_px), Image.LANCZOS)
                return page
            factor = min(3.0, MIN_LONG_SIDE_PX / long_side)
            if factor > 1.01:
                page = page.resize((round(page.width * factor), round(page.height * factor)), Image.LANCZOS)
            return page
        return load

    return [(i + 1, frame(i)) for i in range(count)]


def _draft(im, max_side: int) -> None:
    """A JPEG larger than `max_side` is decoded at 1/2, 1/4 or 1/8 scale (still at least max_side);
    other formats ignore draft() and are scaled down after decoding."""
    shrink = max_side / max(im.size)
    if shrink < 1 and im.format == "JPEG":
        im.draft(im.mode, (max(1, int(im.width * shrink) + 1), max(1, int(im.height * shrink) + 1)))


def ocr_image_file(path, deadline=None, language: str = LANGUAGE, limits: Limits = DEFAULT_LIMITS) -> list[list[str]]:
    """A page image (PNG, JPEG, TIFF — each TIFF frame a page) -> lines per page."""
    frames = _image_frames(path, limits)  # the header checks first: an absurd image is refused, OCR or not
    binary = check_ocr(path, f"tệp ảnh {Path(path).suffix.lower()}", language)
    pages = _run(path, binary, frames, language, deadline, f"image|side={limits.max_side_px}|min={MIN_LONG_SIDE_PX}")
    return [p.lines for p in pages]


SHOWN_SIDE_PX = 1000  # the long side of a page image shown to staff beside its recognised text


def page_image(path, number: int, max_side: int = SHOWN_SIDE_PX, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Page `number` (1-based) of a scanned PDF or a page image, as a small greyscale JPEG: what staff
    compare the recognised text with in the preview. ReaderError when the page cannot be drawn."""
    from PIL import Image

    if Path(path).suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise ReaderError(str(path), f"không dựng được trang PDF ({exc})") from exc
        try:
            if not 1 <= number <= len(pdf):
                raise ReaderError(str(path), f"không có trang {number}")
            page = pdf[number - 1]
            try:
                width, height = page.get_size()
                bitmap = page.render(scale=max_side / max(width, height, 1), grayscale=True)
                try:
                    image = bitmap.to_pil().copy()
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            pdf.close()
    else:
        frames = _image_frames(path, limits)
        if not 1 <= number <= len(frames):
            raise ReaderError(str(path), f"không có trang {number}")
        image = frames[number - 1][1]()
    try:
        image = image.convert("L")
        image.thumbnail((max_side, max_side), Image.LANCZOS)
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=70)
        return buf.getvalue()
    finally:
        image.close()
