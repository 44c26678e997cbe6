import sys

from services.notifications.app import DEFINITION, NotificationsSettings
from shared.manage import main

sys.exit(main(DEFINITION, NotificationsSettings()))
