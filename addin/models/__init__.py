"""The model layer: providers (remote language models and the built-in offline engine).

It knows nothing of Word or Excel: features hand it plain passages and prompts.
"""
