"""Q&A: retrieval, reference lookup and cited answers over the ingested clauses."""
