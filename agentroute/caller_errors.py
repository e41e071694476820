"""Which failures of a call are the caller's: arguments no model could accept. They end the call at
once; they are neither retried, nor a reason to fall back, nor a model failure the policy or the
experience memory learns from."""

from __future__ import annotations

import re

from agentroute.errors import CallerError

# Python's own messages for a call whose arguments do not bind to the function's signature.
_BINDING = re.compile(
    r"got multiple values for (keyword )?argument"
    r"|got an unexpected keyword argument"
    r"|missing \d+ required (positional|keyword-only) arguments?"
    r"|takes (from \d+ to )?\d+ positional arguments? but \d+ (were|was) given"
)


def is_caller_error(error: BaseException) -> bool:
    """A CallerError, or a TypeError from binding the call's arguments (the same on every model)."""
    return isinstance(error, CallerError) or (isinstance(error, TypeError) and bool(_BINDING.search(str(error))))
