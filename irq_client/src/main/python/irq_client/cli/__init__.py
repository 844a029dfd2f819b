"""irq-client: the command line of irq_client (the console script is irq_client.cli:main).

One module per command group; each adds its subcommands through `base.Commands`, naming the
handler that serves them:

    app         the parser and its global flags, main() and the exit codes
    base        what the handlers share: the one printer (--json prints the answer's raw
                JSON, else its text view from irq_client.render), Failure, Commands
    irqs        irqs (-S: softirqs), irq, cpus
    interrupts  interrupts
    affinity    affinity get|set
    top         top, the live view
    usage       usage, cpu, memory, storage
    runs        record, runs [show|stop]
    hosts       hosts

Exit codes: 0 ok, 1 the server answered with an error, 2 usage, 3 the server cannot be reached.
The argument helpers irq-balance shares live in irq_client.cliargs.
"""
from irq_client.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
