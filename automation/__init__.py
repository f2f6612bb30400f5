"""Automation: rules (F-AU3) that act when something happens to a conversation, macros
(F-AU4) and outgoing webhooks (F-AU6)."""
