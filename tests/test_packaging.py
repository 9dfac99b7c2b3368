"""Package conventions: one version, `python -m diffecon`, a light `import diffecon`, the cache switch."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import diffecon
from diffecon import _settings

ROOT = Path(__file__).parents[1]
HEAVY = ("matplotlib", "pandas", "diffecon.replicate", "diffecon.estimate", "diffecon.policy")

_PROBE = """
import json, sys
import jax, diffecon
print(json.dumps({"loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib",
    "pandas", "scipy") or m.startswith(("diffecon.replicate", "diffecon.estimate", "diffecon.policy"))),
    "cache": jax.config.jax_compilation_cache_dir,
    "min_compile_time": jax.config.jax_persistent_cache_min_compile_time_secs}))
"""


def _environment(**variables):
    ours = ("JAX_COMPILATION_CACHE_DIR", "DIFFECON_CACHE_DIR")
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update(variables)
    return env


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """A fresh interpreter importing diffecon, with diffecon's cache moved to a new folder."""
    folder = tmp_path_factory.mktemp("cache") / "ours"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], env=_environment(DIFFECON_CACHE_DIR=str(folder)),
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return folder, json.loads(result.stdout)


def test_import_loads_no_heavy_module(probe):
    _, out = probe
    loaded = out["loaded"]
    assert not [m for m in loaded if m.split(".")[0] in ("matplotlib", "pandas")], loaded
    assert not [m for m in loaded if m.startswith(HEAVY[2:])], loaded


def test_import_loads_no_scipy(probe):
    _, out = probe
    assert not [m for m in out["loaded"] if m.split(".")[0] == "scipy"]


def test_import_sets_the_cache(probe):
    folder, out = probe
    assert out["cache"] == str(folder) and folder.is_dir()
    assert out["min_compile_time"] == 0.0  # every program kept, not only those over a second


def test_cache_folder_rules(tmp_path):
    home = {"HOME": str(tmp_path)}
    assert _settings.cache_dir(home) == tmp_path / ".cache" / "diffecon" / "jax"
    xdg = {**home, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert _settings.cache_dir(xdg) == tmp_path / "xdg" / "diffecon" / "jax"
    moved = {**xdg, "DIFFECON_CACHE_DIR": str(tmp_path / "here")}
    assert _settings.cache_dir(moved) == tmp_path / "here"
    # a cache the user set for JAX itself (variable or config) wins over all of diffecon's
    assert _settings.cache_dir({**moved, "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax")}) is None
    assert _settings.cache_dir(moved, jax_cache=str(tmp_path / "jax")) is None
    for off in ("off", "OFF", "0", "false", "no", ""):
        assert _settings.cache_dir({**home, "DIFFECON_CACHE_DIR": off}) is None


def test_cache_entries_appear_whole(tmp_path, monkeypatch):
    # Another process may read the folder at any moment: an entry must be written elsewhere and
    # renamed into place, never written where a reader can find it half-written.
    from pathlib import Path

    from jax._src import lru_cache

    cache = lru_cache.LRUCache(str(tmp_path), max_size=-1)
    written = []
    real = Path.write_bytes

    def spy(self, data):
        written.append(self.name)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", spy)
    value = bytes(range(256)) * 1000
    cache.put("k", value)
    assert written and all(not name.startswith("k-") for name in written)
    assert cache.get("k") == value
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k-cache"]  # no temporary file left
    cache.put("k", b"other")  # an existing entry is kept, as JAX does
    assert cache.get("k") == value


def test_version_is_written_once():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "diffecon._version.__version__"
    assert diffecon.__version__ == diffecon._version.__version__
    for path in (ROOT / "diffecon").glob("**/*.py"):
        if path.name != "_version.py":
            assert f'"{diffecon.__version__}"' not in path.read_text(), path
    assert f"## [{diffecon.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_python_m_diffecon():
    result = subprocess.run(
        [sys.executable, "-m", "diffecon", "--version"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == diffecon.__version__


def test_conventions_ship():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "MIT"
    assert "LICENSE" in pyproject["project"]["license-files"]
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert (ROOT / "diffecon" / "py.typed").exists()
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["diffecon"]
    assert (ROOT / "CITATION.cff").read_text().startswith("cff-version:")
    runtime = " ".join(pyproject["project"]["dependencies"])
    for name in ("scipy", "tqdm"):
        assert name in runtime


def test_lazy_names_resolve():
    for name, (module, attribute) in diffecon._LAZY.items():
        value = getattr(diffecon, name)
        target = sys.modules[module]
        assert value is (target if attribute is None else getattr(target, attribute)), name
        assert name in dir(diffecon)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        diffecon.not_a_name  # noqa: B018
