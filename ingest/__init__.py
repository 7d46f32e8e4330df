"""Ingestion: readers -> structure parser -> nodes -> store."""
