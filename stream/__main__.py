import sys

from skillstream.stream.cli import main

sys.exit(main())
