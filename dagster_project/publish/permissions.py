"""Who may read what the platform publishes: exports, the analysts' copy and its Parquet, the
dbt docs. They hold pseudonyms and free text, so by default the owner and the owner's group
(the analysts) read them and nobody else does.

One setting, `TOEX_PUBLISH_MODE` (octal, default 0640), gives the mode of published files;
folders get the same bits plus search (x) wherever read (r) is granted (0640 -> 0750). Files
never get execute bits or set-id bits; the owner must keep read. Modes are set explicitly,
whatever the process umask.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "TOEX_PUBLISH_MODE"
DEFAULT_FILE_MODE = 0o640


def file_mode() -> int:
    """The published files' mode; ValueError naming the setting if it is not usable."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return DEFAULT_FILE_MODE
    try:
        mode = int(text, 8)
    except ValueError:
        raise ValueError(f"{ENV}={text!r} is not an octal file mode such as 0640") from None
    if mode & ~0o666 or not mode & 0o400:
        raise ValueError(
            f"{ENV}={text!r}: a file mode within 0666 that lets the owner read (e.g. 0640)"
        )
    return mode


def dir_mode() -> int:
    mode = file_mode()
    return mode | 0o700 | ((mode & 0o044) >> 2)


def read_only_mode() -> int:
    return file_mode() & ~0o222


def set_file(path: Path, mode: int | None = None) -> None:
    os.chmod(path, file_mode() if mode is None else mode)


def set_dir(path: Path) -> None:
    os.chmod(path, dir_mode())


def set_tree(root: Path) -> None:
    """`root` and everything under it: folders `dir_mode`, files `file_mode` (symlinks
    untouched)."""
    root = Path(root)
    set_dir(root)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(folder) / name
            if not path.is_symlink():
                set_dir(path)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                set_file(path)
