from alembic import context

from services.notifications.app import DEFINITION
from shared.migrations import run_env

run_env(context, DEFINITION.all_metadata)
