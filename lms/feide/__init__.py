"""Sign-in with Feide, the education sector's identity federation (OpenID Connect, through Authlib)."""
