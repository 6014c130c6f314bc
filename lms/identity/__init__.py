"""People who arrive from outside (Feide, an LMS launch): found or created one way, however they come."""
