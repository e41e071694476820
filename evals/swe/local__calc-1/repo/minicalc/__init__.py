"""A tiny arithmetic expression evaluator.

>>> evaluate("2 * (3 + 4)")
14
>>> evaluate("rate * hours", {"rate": 12.5, "hours": 8})
100.0
"""

from minicalc.errors import CalcError
from minicalc.evaluator import evaluate
from minicalc.lexer import Token, tokenize

__all__ = ["CalcError", "Token", "evaluate", "tokenize"]
