"""The bottom layer: settings, errors, shared vocabulary and backend factories. Imports nothing above it."""
