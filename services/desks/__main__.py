import sys

from services.desks.app import DEFINITION, DesksSettings
from shared.manage import main

sys.exit(main(DEFINITION, DesksSettings()))
