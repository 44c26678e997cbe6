import sys

from shared.manage import main

from services.desks.app import DEFINITION, DesksSettings

sys.exit(main(DEFINITION, DesksSettings()))
