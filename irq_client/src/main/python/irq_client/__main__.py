from irq_client.cli import main

raise SystemExit(main())
