import sys

from ingress2gw.devtools.gendocs import main

sys.exit(main(sys.argv[1:]))
