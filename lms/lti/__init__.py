"""Kompetanseportalen as an LTI 1.3 tool: launched from itslearning, Canvas, Moodle (and Teams through them)."""
