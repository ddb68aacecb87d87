import sys

from playground.finetune.cli import main

sys.exit(main())
