import sys

from services.insights.app import DEFINITION, InsightsSettings
from services.insights.rebuild import main

sys.exit(main(DEFINITION, InsightsSettings(), sys.argv[1:]))
