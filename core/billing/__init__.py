"""The billing service and what it keeps: assignments, the journal, plan locks, the create-and-mark transaction."""
