"""The one door to Weibo: HTTP client, OAuth, error mapping, rate budgets, typed results, push receiver.

Nothing here knows about the account matrix (``weibo_ops`` imports no app): callers pass a token and a
budget scope; ``positioning`` binds them to accounts.
"""
