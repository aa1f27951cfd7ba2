"""The Textual app. Screens call core through workers; nothing here builds HTTP requests."""
