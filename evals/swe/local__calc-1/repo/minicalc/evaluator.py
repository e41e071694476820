"""Recursive-descent evaluation.

Grammar, loosest binding first::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/" | "%") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom ["^" unary]
    atom   := NUMBER | NAME | "(" expr ")"

``^`` binds tighter than unary minus, so ``-2^2`` is ``-4``, and it is
right-associative as in mathematics: ``2^3^2`` is ``2^(3^2)``.
"""

from __future__ import annotations

from typing import Mapping, Union

from minicalc.errors import CalcError
from minicalc.lexer import Token, tokenize

Number = Union[int, float]


class _Parser:
    def __init__(self, source: str, variables: Mapping[str, Number]) -> None:
        self.tokens = tokenize(source)
        self.index = 0
        self.variables = variables

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def _take_op(self, *ops: str) -> str | None:
        token = self.current
        if token.kind == "op" and token.text in ops:
            self.index += 1
            return token.text
        return None

    def parse(self) -> Number:
        value = self.expr()
        if self.current.kind != "end":
            raise CalcError(f"unexpected {self.current.text!r}", self.current.position)
        return value

    def expr(self) -> Number:
        value = self.term()
        while (op := self._take_op("+", "-")) is not None:
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self) -> Number:
        value = self.unary()
        while (op := self._take_op("*", "/", "%")) is not None:
            position = self.tokens[self.index - 1].position
            right = self.unary()
            if op == "*":
                value = value * right
            elif right == 0:
                raise CalcError("division by zero", position)
            elif op == "/":
                value = value / right
            else:
                value = value % right
        return value

    def unary(self) -> Number:
        op = self._take_op("+", "-")
        if op is None:
            return self.power()
        operand = self.unary()
        return -operand if op == "-" else operand

    def power(self) -> Number:
        value = self.atom()
        while self._take_op("^") is not None:
            exponent = self.atom()
            value = value**exponent
        return value

    def atom(self) -> Number:
        token = self.current
        if token.kind == "number":
            self.index += 1
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "name":
            self.index += 1
            if token.text not in self.variables:
                raise CalcError(f"unknown variable {token.text!r}", token.position)
            return self.variables[token.text]
        if token.kind == "lparen":
            self.index += 1
            value = self.expr()
            if self.current.kind != "rparen":
                raise CalcError("expected ')'", self.current.position)
            self.index += 1
            return value
        what = "end of input" if token.kind == "end" else repr(token.text)
        raise CalcError(f"unexpected {what}", token.position)


def evaluate(source: str, variables: Mapping[str, Number] | None = None) -> Number:
    """Evaluate the arithmetic expression ``source``.

    Integers stay integers except under ``/``, which always gives a float.
    ``variables`` maps names used in the expression to numbers.  Raises
    :class:`~minicalc.errors.CalcError` on syntax errors, unknown names and
    division by zero.
    """
    return _Parser(source, variables or {}).parse()
