"""Remote provider kinds, each a thin layer over its LangChain chat model.

One module per kind (``anthropic``, ``openai``, ``azure_openai``, ``mistral``,
``openai_compatible``, ``ollama``); :mod:`.common` holds what they share: the request →
messages step, the streaming loop with its finish-marker check, and the translation of every
SDK exception into a :class:`~addin.models.failures.ProviderFailure`. The registry imports a
kind's module only when that kind is configured, so the base install needs none of the
partner packages.
"""
