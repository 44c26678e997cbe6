from alembic import context

from services.insights.app import DEFINITION
from shared.migrations import run_env

run_env(context, DEFINITION.all_metadata)
