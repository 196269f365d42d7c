"""The MIME type of a media file: from its name's extension, else from its first bytes, else
``application/octet-stream`` (README, "Messaging: media").

Both tables are data, here once: the types an MMS commonly carries (images, audio, video, text, vCard,
calendar, PDF, SMIL). The system's own ``mimetypes`` table is not used, so the answer does not depend on
the machine the fake runs on.
"""

from __future__ import annotations

UNKNOWN = "application/octet-stream"

BY_EXTENSION: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "svg": "image/svg+xml",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "3gp": "video/3gpp",
    "3g2": "video/3gpp2",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
    "txt": "text/plain",
    "vcf": "text/vcard",
    "vcard": "text/vcard",
    "ics": "text/calendar",
    "csv": "text/csv",
    "html": "text/html",
    "htm": "text/html",
    "smil": "application/smil",
    "smi": "application/smil",
    "pdf": "application/pdf",
    "zip": "application/zip",
}

# (offset, signature, type), the first match wins; RIFF and ISO media files are told apart below.
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"#!AMR", "audio/amr"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"BEGIN:VCARD", "text/vcard"),
    (0, b"BEGIN:VCALENDAR", "text/calendar"),
    (0, b"PK\x03\x04", "application/zip"),
    (8, b"WEBP", "image/webp"),  # RIFF....WEBP
    (8, b"WAVE", "audio/wav"),  # RIFF....WAVE
    (8, b"AVI ", "video/x-msvideo"),  # RIFF....AVI
    (4, b"ftyp3g2", "video/3gpp2"),
    (4, b"ftyp3gp", "video/3gpp"),
    (4, b"ftypM4A", "audio/mp4"),
    (4, b"ftypqt", "video/quicktime"),
    (4, b"ftypheic", "image/heic"),
    (4, b"ftyp", "video/mp4"),
)


def extension(file_name: str) -> str:
    """The lower-case extension without its dot ("" when there is none): of the last path segment."""
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    return suffix.lower() if dot and stem else ""


def sniff(content: bytes) -> str | None:
    """The type the first bytes say, or None."""
    for offset, signature, found in SIGNATURES:
        if content[offset : offset + len(signature)] == signature:
            if offset == 8 and content[:4] != b"RIFF":
                continue
            return found
    return None


def mime_type(file_name: str, content: bytes | None = None) -> str:
    """By the name's extension, else by the content's first bytes, else ``application/octet-stream``."""
    return BY_EXTENSION.get(extension(file_name)) or (sniff(content) if content else None) or UNKNOWN
