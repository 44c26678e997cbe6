import sys

from shared.manage import main

from services.lessons.app import DEFINITION, LessonsSettings

sys.exit(main(DEFINITION, LessonsSettings()))
