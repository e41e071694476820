"""Token-bucket rate limiting with an injectable clock."""

from throttle.bucket import TokenBucket
from throttle.clock import Clock, ManualClock

__all__ = ["Clock", "ManualClock", "TokenBucket"]
