import sys

from services.lessons.app import DEFINITION, LessonsSettings
from shared.manage import main

sys.exit(main(DEFINITION, LessonsSettings()))
