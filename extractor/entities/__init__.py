"""Entity resolution: party names as written → one entity per actor."""
