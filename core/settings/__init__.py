"""Settings: the TOML config file, the environment, paths and the validated model."""
