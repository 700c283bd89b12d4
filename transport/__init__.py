"""ZeroMQ transport: one multipart envelope for every stream, topics, and the wire messages."""
