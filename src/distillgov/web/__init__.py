"""The web app: pages served by the API process; everything they show comes from /api/v1."""
