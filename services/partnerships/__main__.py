import sys

from shared.manage import main

from services.partnerships.app import DEFINITION, PartnershipsSettings

sys.exit(main(DEFINITION, PartnershipsSettings()))
