"""`kb serve`'s temp dir: Gradio's upload cache and Python's tempfile under the KB home
(settings.temp_path, <home>/tmp unless KB_TEMP_DIR) instead of the machine's shared /tmp.

Why: Gradio writes each multipart body it parses to a temp file and cleans its cache by age only
(delete_cache), and the system temp dir outlives our restarts and is shared with everything else.
Here the directory is ours: emptied when the server starts (whatever a crash or a killed worker
left), measured before each staff upload (KB_MAX_TEMP_MB, ui.web), and marked, so that a
KB_TEMP_DIR pointed at a folder holding someone else's files is refused instead of emptied.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from core.errors import SettingsError

MARKER = ".kb-temp"


def reset(path: Path) -> Path:
    """Empty `path` (made if missing) and mark it as ours; refuse a non-empty folder we did not make."""
    path = Path(path)
    if path.is_dir() and not (path / MARKER).exists() and any(path.iterdir()):
        raise SettingsError(f"{path}: thư mục tạm (KB_TEMP_DIR) đã có tệp không do kb tạo, nên không xoá được. "
                            "Hãy chọn một thư mục trống, hoặc để trống KB_TEMP_DIR (dùng <home>/tmp).")
    try:
        path.mkdir(parents=True, exist_ok=True)
        for child in path.iterdir():
            if child.name == MARKER:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        (path / MARKER).write_text("Thư mục tạm của `kb serve`: bị xoá sạch mỗi lần khởi động.\n", encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: không dùng được làm thư mục tạm ({exc.strerror or exc}); "
                            "kiểm tra quyền ghi hoặc đặt KB_TEMP_DIR khác.") from None
    return path


_ACTIVE: list[Path] = []  # this process's temp dir, once set


def use(settings) -> Path:
    """Reset settings.temp_path and make it this process's temp dir: Gradio's cache in gradio/,
    Python's tempfile in python/ (apart, so a Python temp file is never in Gradio's servable cache).

    Once per process: Gradio reads its temp dir from the environment at every use, so a second app
    built in the same process (tests do) keeps the first one's rather than emptying it under it."""
    if _ACTIVE:
        return _ACTIVE[0]
    root = reset(settings.temp_path)
    gradio_dir, python_dir = root / "gradio", root / "python"
    gradio_dir.mkdir(exist_ok=True)
    python_dir.mkdir(exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(gradio_dir)  # read by Gradio at each component and at launch
    tempfile.tempdir = str(python_dir)  # multipart parsers, SpooledTemporaryFile overflow, our own temps
    _ACTIVE.append(root)
    return root


def active(settings) -> Path:
    """The temp dir this process uses (settings.temp_path unless another app set it first)."""
    return _ACTIVE[0] if _ACTIVE else settings.temp_path


def used_bytes(path: Path) -> int:
    """Bytes of the files under `path` (what the temp-dir cap counts)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:  # removed meanwhile (delete_cache)
                pass
    return total


def served_copy(path) -> Path | None:
    """The folder of Gradio's cache that holds the copy of `path` a download button serves (Gradio
    names it by a hash of the file's bytes), or None when the file cannot be read."""
    from gradio import processing_utils, utils

    try:
        return Path(utils.get_upload_folder()) / processing_utils.hash_file(path)
    except OSError:
        return None
