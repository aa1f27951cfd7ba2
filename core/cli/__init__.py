"""The `timebill` command line: a thin front-end over the billing service that prints results."""
