"""Screens of the app, one .tcss beside each."""
