"""The fyrtårn scheme (lighthouse teachers). Built in its own issue."""
