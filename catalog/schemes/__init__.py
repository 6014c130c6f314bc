"""Schemes: the programme rows one does not sign up for, each led to the page that carries it."""
