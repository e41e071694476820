"""URL slugs from arbitrary text.

>>> slugify("Crème Brûlée: a how-to")
'creme-brulee-a-how-to'
"""

from slugkit.core import slugify, unique_slug
from slugkit.translit import fold_to_ascii

__all__ = ["fold_to_ascii", "slugify", "unique_slug"]
