"""Between a console instance's sockets and the hub that owns the calls.

One console process (the default) has one hub and hands every socket message straight to
it: :class:`console.bus.local.LocalBus`. Several instances behind a load balancer share
Redis (``redis_url``): exactly one of them owns the hub state at a time (a lease in Redis),
the others forward their sockets' messages to it and deliver its answers to their sockets
(:class:`console.bus.redis.RedisBus`). The socket routes and the app only see :class:`Bus`.
"""

from console.bus.base import Bus

__all__ = ["Bus"]
