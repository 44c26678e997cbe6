import sys

from services.partnerships.app import DEFINITION, PartnershipsSettings
from shared.manage import main

sys.exit(main(DEFINITION, PartnershipsSettings()))
