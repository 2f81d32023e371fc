"""The knowledge base: typed records, the YAML loader and validator, and the search index."""

from advisor.kb.loader import LoadResult, load_knowledge
from advisor.kb.models import Entry, Guide, GuideStep, KnowledgeBase, Problem, Programme, Topic

__all__ = [
    "Entry",
    "Guide",
    "GuideStep",
    "KnowledgeBase",
    "LoadResult",
    "Problem",
    "Programme",
    "Topic",
    "load_knowledge",
]
