"""On-disk caches that must never break a compile: our TTIR files (the input
`triton.compile` reads) and Triton's own cache directory.

Our entries are written atomically (a private temporary file, then a rename)
and checked against the content hash in their name when read. A Triton cache
entry that fails to load (a truncated JSON, a truncated cubin) is removed and
compiled again. Either costs a recompile and one warning, never a failure."""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
import warnings

from .. import exc


def cache_dir() -> str:
    """HELION_CACHE_DIR, else a folder in the temp dir; read on every call so
    that a changed variable takes effect."""
    path = os.environ.get("HELION_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "helion-ttir")
    os.makedirs(path, exist_ok=True)
    return path


def _warn(message: str) -> None:
    warnings.warn(message, exc.CacheWarning, stacklevel=3)


def atomic_write(path: str, data: bytes) -> None:
    """Readers of `path` see either the old file or all of `data`."""
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def ttir_file(name: str, text: str) -> str:
    """The path of a cached file holding exactly `text`, named by its hash.
    An existing file whose content does not match its name (truncated, empty,
    unreadable) is replaced after one warning."""
    data = text.encode()
    digest = content_digest(data)
    try:
        folder = cache_dir()
    except OSError as e:
        folder = _private_dir()
        _warn(f"helion: cache dir unusable ({e}); using {folder}")
    path = os.path.join(folder, f"{name}_{digest}.ttir")
    try:
        with open(path, "rb") as f:
            cached = f.read()
    except FileNotFoundError:
        cached = None
    except OSError as e:
        cached = b""
        _warn(f"helion: unreadable cache entry {path} ({e}); writing it again")
    else:
        if content_digest(cached) != digest:
            _warn(f"helion: corrupt cache entry {path} ({len(cached)} bytes, content does not match its hash); "
                  "recompiling")
    if cached is not None and content_digest(cached) == digest:
        return path
    try:
        if os.path.isdir(path):
            shutil.rmtree(path)
        atomic_write(path, data)
    except OSError as e:  # a read-only or broken cache: compile from a private copy
        path = os.path.join(_private_dir(), os.path.basename(path))
        _warn(f"helion: cannot write the cache entry ({e}); compiling from {path}")
        atomic_write(path, data)
    return path


_PRIVATE_DIR: list[str] = []


def _private_dir() -> str:
    if not _PRIVATE_DIR:
        _PRIVATE_DIR.append(tempfile.mkdtemp(prefix="helion-ttir-"))
    return _PRIVATE_DIR[0]


def cubin_is_complete(cubin: bytes) -> bool:
    """A 64-bit ELF image that holds every byte its headers point at: its
    section and program header tables, each section's and segment's data."""
    if len(cubin) < 64 or cubin[:5] != b"\x7fELF\x02":
        return False
    order = "little" if cubin[5] == 1 else "big"

    def field(at: int, size: int) -> int:
        return int.from_bytes(cubin[at:at + size], order)

    phoff, shoff = field(0x20, 8), field(0x28, 8)
    phentsize, phnum, shentsize, shnum = field(0x36, 2), field(0x38, 2), field(0x3A, 2), field(0x3C, 2)
    end = max(phoff + phentsize * phnum, shoff + shentsize * shnum)
    if end > len(cubin):
        return False
    for i in range(shnum):
        at = shoff + i * shentsize
        if field(at + 4, 4) != 8:  # SHT_NOBITS has no bytes in the file
            end = max(end, field(at + 0x18, 8) + field(at + 0x20, 8))
    for i in range(phnum):
        at = phoff + i * phentsize
        end = max(end, field(at + 0x08, 8) + field(at + 0x20, 8))
    return end <= len(cubin)


def _triton_cache_entry(error: BaseException) -> tuple[str | None, bool]:
    """(Triton's cache folder for the failed compile, whether the failure came
    from reading an existing entry rather than from compiling), read from the
    frame of `triton.compile` in the traceback."""
    from triton.compiler import compiler as triton_compiler

    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code is triton_compiler.compile.__code__:
            manager = frame.f_locals.get("fn_cache_manager")
            folder = getattr(manager, "cache_dir", None)
            # metadata_path is unset while the group file is read, and not None
            # on a cache hit: both mean a stored entry failed to load.
            from_cache = frame.f_locals.get("metadata_path", True) is not None
            return folder, from_cache
        tb = tb.tb_next
    return None, False


def _remove(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _entry_folder(ck) -> str:
    return os.path.dirname(next(iter(ck.metadata_group.values()), ""))


def _load(ck, what: str) -> bool:
    """Load the kernel onto the current GPU; False when the binary fails to
    load (a corrupt cache entry); a kernel too big for the GPU is refused."""
    from triton.runtime.errors import OutOfResources

    try:
        ck._init_handles()
    except OutOfResources as e:
        raise exc.CompilationError(f"{what} does not fit on this GPU: {e}") from None
    except RuntimeError:
        return False
    return True


@contextlib.contextmanager
def _stderr_captured():
    """Triton's MLIR diagnostics (which name the user's file:line through the
    TTIR's locations) go to file descriptor 2, not into the exception: keep
    them to put into ours. After a success the text is written back."""
    captured: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters)
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        failed = True
        try:
            yield captured
            failed = False
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode(errors="replace")
            captured.append(text)
            if text and not failed:  # on failure the text goes into our exception
                sys.stderr.write(text)


def _diagnostics(captured: list[str]) -> str:
    lines = [ln.strip() for text in captured for ln in text.splitlines() if "error" in ln or "loc(" in ln]
    return ("\n" + "\n".join(lines[:20])) if lines else ""


def triton_compile(path: str, target, options: dict, what: str, load: bool = False):
    """`triton.compile(path, ...)`, recovering once from a corrupt entry of
    Triton's cache: the entry is removed, one warning given, compiled again.
    With `load`, the kernel is also loaded onto the GPU (a binary that fails
    to load counts as a corrupt entry)."""
    import triton

    for attempt in (0, 1):
        captured: list[str] = []
        try:
            with _stderr_captured() as captured:
                ck = triton.compile(path, target=target, options=options)
        except Exception as e:
            folder, from_cache = _triton_cache_entry(e)
            if attempt == 0 and folder and from_cache and os.path.isdir(folder):
                _warn(f"helion: Triton's cache entry {folder} is corrupt ({type(e).__name__}: {e}); recompiling")
                _remove(folder)
                continue
            raise exc.CompilationError(f"Triton failed to compile {what}: {e}{_diagnostics(captured)}") from None
        binary = ck.asm.get("cubin") if hasattr(ck, "asm") else None
        problem = "a truncated cubin" if isinstance(binary, bytes) and not cubin_is_complete(binary) else None
        if problem is None and load and not _load(ck, what):
            problem = "a binary the GPU driver refuses"
        if problem is None:
            return ck
        folder = _entry_folder(ck)
        if attempt == 0 and folder and os.path.isdir(folder):
            _warn(f"helion: Triton's cache entry {folder} holds {problem}; recompiling")
            _remove(folder)
            continue
        raise exc.CompilationError(f"Triton produced {problem} for {what}")
    raise AssertionError("unreachable")
