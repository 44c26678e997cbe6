from alembic import context

from services.lessons.app import DEFINITION
from shared.migrations import run_env

run_env(context, DEFINITION.all_metadata, include_name=DEFINITION.include_name)
