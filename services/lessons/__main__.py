import sys

from services.lessons.app import DEFINITION
from services.lessons.settings import LessonsSettings
from shared.manage import main

sys.exit(main(DEFINITION, LessonsSettings()))
