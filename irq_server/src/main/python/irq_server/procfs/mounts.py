"""/proc/1/mounts (or /proc/self/mounts, /proc/mounts) and the space of the block-backed
filesystems."""
from __future__ import annotations

import logging

from irq_server.procfs.hostfs import HostFS
from irq_server.types import FsUsage, Mount

log = logging.getLogger(__name__)
# on a block device but not space anyone manages: read-only images, always 100% full
_IMAGES = frozenset({"squashfs", "iso9660", "udf", "cramfs", "erofs"})
_POOLS = frozenset({"zfs"})  # block-backed although the device is a dataset name


def read_mounts(fs: HostFS) -> list[Mount]:
    """The host's mounts: init's (as node_exporter reads them: below a --root holding the
    host's /proc, "self" would be the reader's own mount namespace), else our own."""
    for rel in ("proc/1/mounts", "proc/self/mounts", "proc/mounts"):
        text = fs.read_optional(rel)
        if text is not None:
            return parse_mounts(text)
    return []


def parse_mounts(text: str) -> list[Mount]:
    """Parse mounts lines "device mount_point fstype options dump pass" (space, tab, newline
    and backslash in names are octal escapes, as \\040)."""
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            device, point, fstype = (_unescape(p) for p in parts[:3])
            mounts.append(Mount(device=device, mount_point=point, fstype=fstype,
                                options=parts[3] if len(parts) > 3 else ""))
    return mounts


def block_backed(mounts: list[Mount]) -> list[Mount]:
    """The filesystems on a disk: device under /dev (or a ZFS pool), not a read-only image;
    each device once, at its shortest mount point (bind mounts repeat it). No tmpfs, overlay,
    proc, cgroup or network filesystems."""
    chosen: dict[str, Mount] = {}
    for m in mounts:
        if m.fstype in _IMAGES or not (m.device.startswith("/dev/") or m.fstype in _POOLS):
            continue
        known = chosen.get(m.device)
        if known is None or len(m.mount_point) < len(known.mount_point):
            chosen[m.device] = m
    return sorted(chosen.values(), key=lambda m: m.mount_point)


def read_filesystems(fs: HostFS) -> list[FsUsage]:
    """Space of each block-backed filesystem (a mount statvfs cannot answer is left out)."""
    result = []
    for m in block_backed(read_mounts(fs)):
        try:
            size, used, available = fs.statvfs(m.mount_point)
        except OSError as e:
            log.debug("statvfs(%s) failed: %s", m.mount_point, e)
            continue
        result.append(FsUsage(mount_point=m.mount_point, device=m.device, fstype=m.fstype,
                              size=size, used=used, available=available))
    return result


def _unescape(field: str) -> str:
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit() and len(field[i + 1:i + 4]) == 3:
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)
