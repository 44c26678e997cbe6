import sys

from services.products.app import DEFINITION
from services.products.settings import ProductsSettings
from shared.manage import main

sys.exit(main(DEFINITION, ProductsSettings()))
