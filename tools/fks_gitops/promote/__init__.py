"""Promotions: the request, the gates, history, the edit and the commit."""
