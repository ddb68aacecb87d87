import sys

from playground.finetune.engine import main

sys.exit(main())
