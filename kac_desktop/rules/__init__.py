"""Pure business rules: no database, no clock, no Qt."""
