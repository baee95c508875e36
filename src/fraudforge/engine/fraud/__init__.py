"""Fraud scenarios: a global incident schedule and the 15 patterns that materialise it."""
