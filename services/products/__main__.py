import sys

from shared.manage import main

from services.products.app import DEFINITION, ProductsSettings

sys.exit(main(DEFINITION, ProductsSettings()))
