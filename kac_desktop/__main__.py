from kac_desktop.cli import main

raise SystemExit(main())
