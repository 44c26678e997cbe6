import sys

from services.products.app import DEFINITION, ProductsSettings
from shared.manage import main

sys.exit(main(DEFINITION, ProductsSettings()))
