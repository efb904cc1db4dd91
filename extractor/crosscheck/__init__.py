"""The cross-check: conflict rules over claims blocked by entity, optional adjudication."""
