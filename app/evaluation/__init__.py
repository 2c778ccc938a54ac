"""Evaluation and transparency (issue 14): link checks, processing times, and later scores, reports and the dashboard."""
