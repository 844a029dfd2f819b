from irqbalance.cli import main

raise SystemExit(main())
