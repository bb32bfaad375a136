"""Test settings: production settings plus two speed-ups that change no behaviour under test.

- MD5 password hashing: every test creates users; PBKDF2's deliberate slowness is not under test.
- The hashing embedder: a real code path through the insight app, without loading MiniLM into
  every test process. Tests of the real model select it explicitly (`settings.HARKEN_EMBEDDER`).
"""

import tempfile

from harken.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HARKEN_EMBEDDER = "hashing"
# Persisted vector indexes of test databases never land in the real data directory.
HARKEN_INDEX_DIR = tempfile.mkdtemp(prefix="harken-test-indexes-")
