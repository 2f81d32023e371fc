"""A knowledge folder as a set of files: read, hashed, zipped, unzipped safely, written back.

The YAML files the loader reads (`*.yaml`, `*.yml`) are the knowledge; a `KnowledgeFiles` holds
them by path relative to the folder (`faq/tm.yaml`), so a version can be kept in the database,
compared with another, checked in a scratch folder and written into the real one.

Uploads are untrusted: a zip is unpacked in memory with every entry confined to the folder
(no `../`, no absolute paths, no symbolic links, names of letters, digits, `_`, `.` and `-`),
within a cap on the number of files and the unpacked size, whatever the zip's headers claim.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
"""A document larger than this is refused before it is downloaded."""
MAX_UNPACKED_BYTES = 8 * 1024 * 1024
MAX_ZIP_FILES = 200
MAX_FILE_BYTES = 1_000_000
"""As `yamlsource.MAX_FILE_BYTES`: a larger file could never load anyway."""
SUFFIXES = (".yaml", ".yml")
TOP_LEVEL = ("topics.yaml", "guides.yaml", "synonyms.yaml", "ui.yaml", "assessment.yaml")
"""The special files at the top of the folder (as `loader.READERS`); other YAML goes in `faq/`."""
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,39}$")
"""A file or folder name: short enough that `faq/<name>` fits in a button's callback data."""
_IGNORED = re.compile(r"(^|/)(__MACOSX|\.[^/.][^/]*)(/|$)")
"""What zip tools add on their own: macOS resource forks and hidden files (.DS_Store)."""


class UploadError(ValueError):
    """An upload that cannot become a candidate; `key` names the ui.yaml text that says why."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(f"{key} {values}" if values else key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class KnowledgeFiles:
    """The knowledge files of a folder, by relative POSIX path; bytes exactly as stored."""

    files: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    ignored: tuple[str, ...] = ()
    """Names in an uploaded zip that are not knowledge files (kept out, said in the preview)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", MappingProxyType(dict(sorted(self.files.items()))))

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    @property
    def content_hash(self) -> str:
        """SHA-256 over every path and its bytes: equal hashes, equal knowledge."""
        digest = hashlib.sha256()
        for path, data in self.files.items():
            digest.update(path.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
        return digest.hexdigest()

    def with_file(self, path: str, data: bytes) -> KnowledgeFiles:
        """These files with one added or replaced (e.g. a draft entry's file)."""
        return KnowledgeFiles({**self.files, _checked_path(path): data})

    def placed(self, filename: str) -> str:
        """Where an uploaded single file goes: the file of that name (top level or `faq/`),
        else a new FAQ file `faq/<name>`."""
        name = PurePosixPath(filename.replace("\\", "/")).name
        if not _NAME.match(name) or not name.endswith(SUFFIXES):
            raise UploadError("kb_bad_name", name=name[:60])
        if name in self.files or name in TOP_LEVEL:
            return name
        return f"faq/{name}"

    def to_zip(self) -> bytes:
        """The files as a zip, paths as in the folder (`faq/tm.yaml`)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in self.files.items():
                info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        return buffer.getvalue()

    def changed_paths(
        self, other: KnowledgeFiles
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(added, removed, changed) paths going from these files to `other`."""
        added = tuple(p for p in other.files if p not in self.files)
        removed = tuple(p for p in self.files if p not in other.files)
        changed = tuple(p for p in self.files if p in other.files and self.files[p] != other.files[p])
        return added, removed, changed

    def write_into(self, folder: Path) -> None:
        """Make `folder` hold exactly these knowledge files (other files, e.g. README.md, stay).

        Each file is written to a temporary name beside it, flushed to disk and renamed over the
        old one (`os.replace`), so a reader or a crash sees the old file or the new one, never
        half of one; files no longer in the set are removed last."""
        current = read_folder(folder)
        added, removed, changed = current.changed_paths(self)
        for path in (*added, *changed):
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            try:
                with open(temporary, "wb") as handle:
                    handle.write(self.files[path])
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, target)
            except BaseException:
                temporary.unlink(missing_ok=True)
                raise
        for path in removed:
            (folder / path).unlink(missing_ok=True)


def read_folder(folder: Path) -> KnowledgeFiles:
    """The knowledge files of a folder (what the loader reads), by relative path."""
    files = {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.suffix in SUFFIXES and path.is_file()
    }
    return KnowledgeFiles(files)


def _checked_path(path: str) -> str:
    """A relative path inside the folder, or UploadError: no absolute paths, drive letters,
    backslashes, `..` or unusual characters in any part."""
    if _escapes(path) or any(part in ("", ".") or not _NAME.match(part) for part in path.split("/")):
        raise UploadError("kb_zip_unsafe", name=path[:80])
    return path


def _escapes(name: str) -> bool:
    """A path that could point outside the folder: absolute, a drive, `..`, backslashes."""
    return (
        "\\" in name
        or "\0" in name
        or name.startswith("/")
        or re.match(r"^[A-Za-z]:", name) is not None
        or ".." in name.split("/")
    )


def _common_folder(names: list[str]) -> str:
    """The one folder every file sits in (a zip of the folder itself, `knowledge/...`), if any."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        top = tops.pop()
        return "" if top == "faq" else top + "/"
    return ""


def from_zip(data: bytes) -> KnowledgeFiles:
    """The knowledge files of an uploaded zip of the folder; UploadError for anything unsafe.

    Sizes are counted while reading, never taken from the zip's headers, so a zip bomb stops
    at the cap."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise UploadError("kb_bad_zip") from None
    if len(infos) > MAX_ZIP_FILES:
        raise UploadError("kb_zip_too_big", files=str(MAX_ZIP_FILES), mb=str(MAX_UNPACKED_BYTES // 2**20))
    wanted: list[zipfile.ZipInfo] = []
    ignored: list[str] = []
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        # before anything is skipped: a link or an escape is refused even as a stray file
        if _escapes(name) or stat.S_ISLNK(info.external_attr >> 16):
            raise UploadError("kb_zip_unsafe", name=name[:80])
        if info.is_dir() or _IGNORED.search(name):
            continue
        if not name.endswith(SUFFIXES):
            ignored.append(name)
            continue
        if info.flag_bits & 0x1:
            raise UploadError("kb_zip_encrypted", name=name[:80])
        if name in seen:
            raise UploadError("kb_zip_unsafe", name=name[:80])
        seen.add(name)
        wanted.append(info)
    prefix = _common_folder([info.filename for info in wanted])
    files: dict[str, bytes] = {}
    budget = MAX_UNPACKED_BYTES
    for info in wanted:
        path = _checked_path(info.filename.removeprefix(prefix))
        limit = min(budget, MAX_FILE_BYTES)
        try:
            with archive.open(info) as member:
                content = member.read(limit + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError):
            raise UploadError("kb_bad_zip") from None
        if len(content) > limit:
            raise UploadError("kb_zip_too_big", files=str(MAX_ZIP_FILES), mb=str(MAX_UNPACKED_BYTES // 2**20))
        budget -= len(content)
        files[path] = content
    if not files:
        raise UploadError("kb_zip_empty")
    return KnowledgeFiles(files, tuple(ignored))
