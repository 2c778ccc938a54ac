"""Feedback (سامانه نظارت, issue 14): citizens' ratings of delivered requests and their complaints, the agency's
replies, staff flags on what citizens wrote, and the nightly escalation of complaints left unanswered."""
