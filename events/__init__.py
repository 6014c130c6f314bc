"""The scheduling kernel: dated sessions and, later, every calendar feed."""
