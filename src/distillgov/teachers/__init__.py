"""The catalogue of real teacher models and their dated terms, and what those terms mean here."""
