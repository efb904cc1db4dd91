"""Extraction: the prompt, the model call, the claim schema."""
