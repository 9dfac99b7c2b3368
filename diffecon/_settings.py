"""The global JAX settings that `import diffecon` makes (all stated in the README).

1. 64-bit mode (`jax_enable_x64`): equilibrium derivatives need double precision.
2. A persistent compilation cache, so a new session reuses the XLA programs an earlier one
   compiled instead of compiling every solve again (a first solve drops from seconds to about one).
   It lives in `$DIFFECON_CACHE_DIR`, else `$XDG_CACHE_HOME/diffecon/jax`, else
   `~/.cache/diffecon/jax`. `DIFFECON_CACHE_DIR=off` (or `0`, `false`, `no`, empty) turns it off.
   A cache the user configured for JAX itself (`JAX_COMPILATION_CACHE_DIR`, or
   `jax.config.update("jax_compilation_cache_dir", ...)` before importing diffecon) is left alone.
   In its own cache diffecon keeps every program (`jax_persistent_cache_min_compile_time_secs`
   = 0): JAX's default keeps only those that took over a second to compile, which left most of
   a small model's solve and derivative programs out (a second session's first solve and
   elasticity: 0.9–1.0 s with the default, 0.55–0.62 s with every program kept).
3. Atomic cache writes: JAX writes a persistent-cache entry in place (`Path.write_bytes`, with
   no lock unless the cache has a size limit), so a second process sharing the folder can read a
   half-written program, and two processes writing the same program can interleave. diffecon
   makes JAX write each entry to a temporary file in the same folder and rename it into place,
   which is atomic on POSIX: a reader sees the whole program or none.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path

import jax

CACHE_VARIABLE = "DIFFECON_CACHE_DIR"
_OFF = {"", "0", "off", "false", "no", "none"}


def cache_dir(environ: Mapping[str, str] = os.environ, jax_cache: str | None = None) -> Path | None:
    """The folder diffecon gives JAX's compilation cache, or None: turned off, or the user's own.

    **Arguments:** `environ`, the environment variables; `jax_cache`, the cache folder JAX is
    already configured with (None if none).

    **Returns:** the folder, or None when diffecon leaves the setting alone.
    """
    if environ.get("JAX_COMPILATION_CACHE_DIR") or jax_cache:
        return None  # the user's own cache wins (tests/conftest.py relies on this)
    chosen = environ.get(CACHE_VARIABLE)
    if chosen is not None:
        return None if chosen.strip().lower() in _OFF else Path(chosen).expanduser()
    base = environ.get("XDG_CACHE_HOME") or Path(environ.get("HOME") or Path.home()) / ".cache"
    return Path(base) / "diffecon" / "jax"


def _atomic_cache_writes() -> None:
    """Make JAX's file cache write each entry by temporary file and rename (see point 3)."""
    try:
        from jax._src import lru_cache
    except ImportError:  # a JAX without this module: leave it as it is
        return
    cache_class = getattr(lru_cache, "LRUCache", None)
    suffix = getattr(lru_cache, "_CACHE_SUFFIX", None)
    if cache_class is None or suffix is None or getattr(cache_class.put, "_diffecon_atomic", False):
        return
    original = cache_class.put

    def put(self, key: str, value: bytes) -> None:
        path = getattr(self, "path", None)
        if not key or getattr(self, "eviction_enabled", True) or not isinstance(path, Path):
            return original(self, key, value)  # JAX's own locked path (or a remote folder)
        target = path / f"{key}{suffix}"
        if target.exists():
            return
        temporary = path / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        try:
            temporary.write_bytes(value)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)

    put._diffecon_atomic = True
    cache_class.put = put


def configure() -> None:
    """Make the settings (called once, by `import diffecon`)."""
    jax.config.update("jax_enable_x64", True)
    _atomic_cache_writes()
    folder = cache_dir(os.environ, jax.config.jax_compilation_cache_dir)
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only home: run without a cache rather than fail at import
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
