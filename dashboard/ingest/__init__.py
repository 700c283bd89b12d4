"""Ingest: the ZeroMQ ROUTER that receives edge boxes' event batches, stores them and acknowledges them."""
