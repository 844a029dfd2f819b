"""The host's own IRQ placement policy, as other tools set it: the irqbalance daemon (is it
running, with which bans), its configuration file, and /proc/irq/default_smp_affinity.

cri-o (pods annotated `irq-load-balancing.crio.io: disable`), tuned's cpu-partitioning
profile and administrators write IRQBALANCE_BANNED_CPULIST (or the older hex
IRQBALANCE_BANNED_CPUS) into /etc/sysconfig/irqbalance (Red Hat) or /etc/default/irqbalance
(Debian); an empty value means no CPU is banned, as irqbalance reads it. tuned also narrows
default_smp_affinity to the housekeeping CPUs. Unreadable or malformed values ban nothing and
are reported in `problems` (never an error: the host still serves).
"""
from __future__ import annotations

import logging
import shlex
from dataclasses import dataclass, field, replace

from irq_server.errors import InvalidInput
from irq_server.procfs.hostfs import HostFS
from irq_server.procfs.masks import parse_cpu_list, parse_mask

log = logging.getLogger(__name__)

CONFIG_FILES = ("etc/sysconfig/irqbalance", "etc/default/irqbalance")
DEFAULT_AFFINITY = "proc/irq/default_smp_affinity"
MAX_VALUE = 4096  # bytes: a ban list of 8192 CPUs as a hex mask is about 2300
MAX_IRQ = 1 << 20  # beyond any IRQ number a kernel hands out
BAN_REASONS = ("isolated", "nohz_full", "irqbalance-config", "default_smp_affinity")


@dataclass(frozen=True)
class IrqbalanceConfig:
    """What irqbalance's environment file bans."""

    path: str | None = None  # the file read ("/etc/default/irqbalance"), None when none
    banned_cpus: frozenset[int] = frozenset()
    banned_irqs: frozenset[int] = frozenset()  # --banirq in IRQBALANCE_ARGS
    problems: tuple[str, ...] = ()  # values that could not be read


@dataclass(frozen=True)
class IrqbalanceDaemon:
    """The irqbalance daemon as /proc shows it."""

    running: bool
    pid: int | None = None
    banned_cpus: frozenset[int] = frozenset()  # its environment's, else its config file's
    banned_irqs: frozenset[int] = frozenset()  # --banirq of its command line and config
    config: IrqbalanceConfig = field(default_factory=IrqbalanceConfig)


def read_irqbalance_config(fs: HostFS) -> IrqbalanceConfig:
    """The first of CONFIG_FILES that exists below the root."""
    for rel in CONFIG_FILES:
        try:
            text = fs.read_small(rel)
        except OSError as exc:
            return IrqbalanceConfig(path=f"/{rel}", problems=(f"/{rel}: {exc.strerror}",))
        if text is not None:
            return _config(f"/{rel}", _assignments(text))
    return IrqbalanceConfig()


def find_irqbalance(fs: HostFS) -> IrqbalanceDaemon:
    """The running irqbalance daemon, found by /proc/<pid>/comm."""
    config = read_irqbalance_config(fs)
    for name in fs.listdir("proc"):
        if not (name.isascii() and name.isdigit()):
            continue
        try:
            comm = fs.read_small(f"proc/{name}/comm", 64)
        except OSError:  # the process ended, or is not ours to read
            continue
        if comm is None or comm.strip() != "irqbalance":
            continue
        argv = _nul_split(fs, f"proc/{name}/cmdline")
        environ = dict(item.partition("=")[::2] for item in _nul_split(fs, f"proc/{name}/environ"))
        own = _config(f"/proc/{name}/environ", environ)
        banned_cpus = own.banned_cpus if {"IRQBALANCE_BANNED_CPULIST", "IRQBALANCE_BANNED_CPUS"} \
            & environ.keys() else config.banned_cpus
        return IrqbalanceDaemon(running=True, pid=int(name), banned_cpus=banned_cpus,
                                banned_irqs=_banirqs(argv[1:]) | own.banned_irqs
                                | config.banned_irqs,
                                config=replace(config, problems=config.problems + own.problems))
    return IrqbalanceDaemon(running=False, banned_cpus=config.banned_cpus,
                            banned_irqs=config.banned_irqs, config=config)


def read_default_affinity(fs: HostFS) -> frozenset[int] | None:
    """/proc/irq/default_smp_affinity's CPUs; None when absent or unreadable."""
    try:
        text = (fs.read_small(DEFAULT_AFFINITY, MAX_VALUE) or "").strip()
        return parse_mask(text) if text else None
    except (OSError, InvalidInput) as exc:
        log.warning("%s ignored: %s", DEFAULT_AFFINITY, exc)
        return None


def cpu_bans(fs: HostFS, cpus: frozenset[int], isolated: frozenset[int],
             nohz_full: frozenset[int]) -> dict[int, tuple[str, ...]]:
    """CPU -> why no IRQ should be routed there (BAN_REASONS, in that order); CPUs that no
    policy bans are left out. A default_smp_affinity with none of `cpus` bans nothing (it
    cannot be the host's intent)."""
    config = read_irqbalance_config(fs)
    default = read_default_affinity(fs)
    outside = cpus - default if default is not None and default & cpus else frozenset()
    sets = (isolated, nohz_full, config.banned_cpus, outside)
    bans = {cpu: tuple(reason for reason, members in zip(BAN_REASONS, sets) if cpu in members)
            for cpu in cpus}
    return {cpu: reasons for cpu, reasons in bans.items() if reasons}


def _assignments(text: str) -> dict[str, str]:
    """KEY=value lines of a shell environment file (quotes, comments, `export`)."""
    values = {}
    for line in text.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # an unclosed quote: irqbalance's shell would not read it either
            log.warning("irqbalance config: a line with an unclosed quote is ignored")
            continue
        for word in words:
            key, sep, value = word.partition("=")
            if sep and key.isidentifier():
                values[key] = value
    return values


def _config(path: str, values: dict[str, str]) -> IrqbalanceConfig:
    problems = []
    banned: frozenset[int] = frozenset()
    cpulist = values.get("IRQBALANCE_BANNED_CPULIST")
    mask = values.get("IRQBALANCE_BANNED_CPUS")
    try:
        if len(cpulist or "") > MAX_VALUE or len(mask or "") > MAX_VALUE:
            raise ValueError(f"a ban list longer than {MAX_VALUE} characters")
        if cpulist is not None:  # it wins over the mask, as in irqbalance
            banned = parse_cpu_list(cpulist) if cpulist.strip() else frozenset()
        elif mask is not None and mask.strip():
            banned = parse_mask(mask, field="IRQBALANCE_BANNED_CPUS")
    except (InvalidInput, ValueError) as exc:
        problems.append(f"{path}: {exc}")
        log.warning("%s: ignored: %s", path, exc)
    try:
        args = shlex.split(values.get("IRQBALANCE_ARGS", ""))
    except ValueError as exc:
        args = []
        problems.append(f"{path}: IRQBALANCE_ARGS: {exc}")
    return IrqbalanceConfig(path=path, banned_cpus=banned, banned_irqs=_banirqs(args),
                            problems=tuple(problems))


def _banirqs(args: list[str]) -> frozenset[int]:
    """The IRQs of --banirq=N, --banirq N and -i N (irqbalance's own option syntax)."""
    found = set()
    for k, arg in enumerate(args):
        value = None
        if arg.startswith("--banirq="):
            value = arg.split("=", 1)[1]
        elif arg in ("--banirq", "-i") and k + 1 < len(args):
            value = args[k + 1]
        elif arg.startswith("-i") and arg[2:].isdigit():
            value = arg[2:]
        if value is not None and value.isascii() and value.isdigit() and int(value) < MAX_IRQ:
            found.add(int(value))
    return frozenset(found)


def _nul_split(fs: HostFS, rel: str) -> list[str]:
    try:
        return [part for part in (fs.read_small(rel) or "").split("\0") if part]
    except OSError:
        return []
