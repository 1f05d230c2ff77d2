"""The built-in offline engine: an extractive, citation-keeping summarizer.

``text`` holds the language tools (detection, sentence splitting, tokenizing), ``cues`` the
per-language cue words, ``scoring`` turns passages into scored sentence candidates,
``summarizer`` selects the points (public API) and ``render`` streams them with markers.
"""
