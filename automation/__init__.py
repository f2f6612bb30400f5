"""Automation: rules that act when something happens to a conversation, and macros."""
