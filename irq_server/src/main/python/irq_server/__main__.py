from irq_server.cli import main

raise SystemExit(main())
