"""Files the bot uploaded (or simulated users sent), served back under Telegram's file paths."""

from __future__ import annotations

import itertools
import mimetypes
from dataclasses import dataclass
from typing import IO, Any

from tgemu import rules

FileInput = bytes | tuple[Any, ...]
"""An upload as a transport hands it over: bytes, or (filename, bytes-or-file, mime type)."""


@dataclass
class StoredFile:
    """An uploaded file, served back under its file_path like Telegram's file endpoint."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None


def unpack_file(upload: FileInput) -> tuple[str | None, bytes, str | None]:
    """bytes, or PTB/aiohttp style (filename, bytes-or-file, mime type)."""
    if isinstance(upload, bytes | bytearray):
        return None, bytes(upload), None
    filename = upload[0] if upload else None
    content: bytes | IO[bytes] = upload[1] if len(upload) > 1 else b""
    mime = upload[2] if len(upload) > 2 else None
    data = content if isinstance(content, bytes | bytearray) else content.read()
    return filename, bytes(data), mime


class FileStore:
    """Stored files by file_id and by file_path, and the Bot API objects describing them."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def upload(
        self,
        data: bytes,
        *,
        filename: str | None = None,
        kind: str = "document",
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store a file as if it had been uploaded; also for simulated users sending files."""
        n = next(self._counter)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        if kind == "photo":
            folder, suffix = "photos", "jpg"  # Telegram re-encodes every photo as JPEG
        else:
            folder = "documents"
            suffix = filename.rpartition(".")[2] if filename and "." in filename else "bin"
        stored = StoredFile(
            file_id=f"{prefix}EMU{n:06d}",
            file_unique_id=f"AQADEMU{n}",
            file_path=f"{folder}/file_{n}.{suffix}",
            data=data,
            filename=filename,
            mime_type=mime_type or (mimetypes.guess_type(filename)[0] if filename else None),
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def data_at(self, file_path: str) -> bytes | None:
        """The bytes Telegram's file endpoint serves for `file_path`."""
        stored = self._by_path.get(file_path)
        return stored.data if stored else None

    def photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        """The Bot API `photo` list: the photo and, when larger than 90 px, a thumbnail."""
        width, height = rules.image_size(stored.data) or (800, 600)
        full = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.data),
        }
        if max(width, height) <= 90:
            return [full]
        scale = 90 / max(width, height)
        thumb = {
            "file_id": stored.file_id + "s",
            "file_unique_id": stored.file_unique_id + "s",
            "width": max(1, round(width * scale)),
            "height": max(1, round(height * scale)),
        }
        self._by_id[thumb["file_id"]] = stored
        return [thumb, full]

    @staticmethod
    def document_dict(stored: StoredFile) -> dict[str, Any]:
        """The Bot API `document` object."""
        doc: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.filename:
            doc["file_name"] = stored.filename
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc
