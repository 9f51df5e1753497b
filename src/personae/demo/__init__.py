"""The demo: a generated multi-source customer dataset with ground truth."""

from personae.demo.generator import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo"]
