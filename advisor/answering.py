"""The answering engine: a member's question in, a decision out.

`Advisor` holds one knowledge base with an index per language. A question written in
English (`advisor.english.is_english`) is matched against the English index, any other
against the Vietnamese one, whatever the interface language: the reply's language is the
user's choice, the question's language only decides where to look. The index proposes
candidates with their lexical evidence (`advisor.kb.index`), the calibrated model ranks and
decides (`advisor.decision`).
"""

from __future__ import annotations

from advisor.decision import Decision, Model, decide
from advisor.english import is_english
from advisor.kb.index import Candidate, SearchIndex
from advisor.kb.models import KnowledgeBase


class Advisor:
    """A knowledge base with its indexes and decision model; build one per load, share it."""

    def __init__(self, kb: KnowledgeBase, model: Model | None = None) -> None:
        self.kb = kb
        self.model = model or Model.load()
        self.indexes = {"vi": SearchIndex(kb), "en": SearchIndex(kb, "en")}
        self.related = kb.related_links()
        self._abbreviations = frozenset(kb.synonyms.abbreviations)
        self._domain = tuple(f" {phrase} " for phrase in kb.synonyms.domain)

    @property
    def index(self) -> SearchIndex:
        """The Vietnamese index (the knowledge base's own language)."""
        return self.indexes["vi"]

    def language(self, question: str) -> str:
        return "en" if is_english(question, self._abbreviations) else "vi"

    def evidence(self, question: str) -> tuple[str, str, list[Candidate], dict]:
        """(language, normalised substance, ranked candidates, the question-level inputs of
        `decide`: its length in tokens, whether it is English, whether it names the domain)."""
        lang = self.language(question)
        index = self.indexes[lang]
        tokens, sentences = index.normaliser.question(question)
        context = {"length": len(tokens), "english": lang == "en", "domain": self.in_domain(question)}
        return lang, " ".join(tokens), index.rank(tokens, sentences), context

    def in_domain(self, question: str) -> bool:
        """Whether the question names something the bot covers (`domain` in synonyms.yaml):
        a decline then says the knowledge base lacks the answer, not that it is off-topic."""
        words = f" {' '.join(self.index.normaliser.tokens(question))} "
        return any(phrase in words for phrase in self._domain)

    def decide(self, question: str, model: Model | None = None) -> Decision:
        lang, normalised, candidates, context = self.evidence(question)
        kind, hits, offers = decide(model or self.model, candidates, self.related, **context)
        return Decision(
            kind, question, normalised, hits, offers, lang, kind != "decline" or context["domain"]
        )
