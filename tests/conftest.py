import os

import pytest


def pytest_addoption(parser):
    parser.addoption("--nb-flags", default=os.environ.get("DSP_NB_FLAGS", ""),
                     help="space-separated nbdev test flags to run (e.g. 'slow'); cells with other flags in "
                          "settings.ini's tst_flags are skipped, as with `nbdev_test --flags`")


@pytest.fixture
def nb_flags(request) -> str:
    return request.config.getoption("--nb-flags")
