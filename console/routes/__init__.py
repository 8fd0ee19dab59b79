"""HTTP and WebSocket routes, one blueprint per concern; registered by :mod:`console.app`."""
