"""Tests of the hosted console (``console/``)."""
