"""Test-wide settings.

Hypothesis deadlines are off: they measure the machine, not the code, and a CI box shared with
other jobs turns them into random failures. Speed is measured in benchmarks/.
"""

from hypothesis import settings

settings.register_profile("randsup", deadline=None)
settings.load_profile("randsup")
