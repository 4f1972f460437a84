"""A refusal with its reason in Chinese and English, as every message of the platform is."""

from __future__ import annotations


class BilingualError(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
