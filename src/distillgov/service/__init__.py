"""What the server keeps for itself: accounts, tokens, sessions and the decision log."""
