"""Predicted traits: lifetime value, churn risk, next order date and product affinity,
fitted on the order events of every source, and the backtest that measures them."""
