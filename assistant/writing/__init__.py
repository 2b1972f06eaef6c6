"""Writing a post: the prompts (``prompts/``) and the employee's voice, the item's key facts,
imported instructions set aside (``injection``), drafts and their grounded fallback, tidying,
the careful reader's checks (spelling, French grammar), the guardrails, the social-media policy,
the authenticity score, the drafting model's warm-up and the autosaved post being edited.
Grouped because a draft goes through them, in that order, before an employee sees it.
"""
