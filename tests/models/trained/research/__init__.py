"""Tests of the research-data training command."""
