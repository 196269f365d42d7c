"""The reliability suite: hostile or careless input, one file per surface, each probe a test that
failed before its fix."""
