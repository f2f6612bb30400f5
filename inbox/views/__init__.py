"""Inbox pages by subject: parse, authorise, call one service or selector, render."""
