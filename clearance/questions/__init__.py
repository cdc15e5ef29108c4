"""The questions each step requires: package data read by the step's stage, never by the gate."""
