from alembic import context

from shared.migrations import run_env

from services.products.app import DEFINITION

run_env(context, DEFINITION.all_metadata)
