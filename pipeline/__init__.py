"""The edge runtime: stage processes joined by ZeroMQ, the durable spool and the command line."""
