"""The policy lab: a welfare model of the regime's levers, and comparisons of profiles under it."""
