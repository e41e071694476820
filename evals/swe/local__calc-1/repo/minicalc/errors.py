"""Exceptions raised by minicalc."""


class CalcError(ValueError):
    """A syntax error in an expression, or an error while evaluating it.

    ``position`` is the offset in the source text the error refers to,
    when there is one.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        if position is not None:
            message = f"{message} (at offset {position})"
        super().__init__(message)
        self.position = position
