import asyncio
import sys

from services.lessons import corpus
from services.lessons.app import DEFINITION
from services.lessons.settings import LessonsSettings
from shared.manage import main, migrate

settings = LessonsSettings()
if sys.argv[1:2] == ["seed-corpus"]:
    # The benchmark corpus: migrate the given database, then bulk-insert lessons.
    arguments = sys.argv[2:]
    url = corpus.database_url(arguments, settings.resolved_database_url)
    asyncio.run(migrate(DEFINITION, settings.model_copy(update={"database_url": url})))
    sys.exit(corpus.main(arguments, url))
sys.exit(main(DEFINITION, settings))
