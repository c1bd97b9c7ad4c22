"""Where the code the stacks ship lives in the repository."""

from pathlib import Path
from typing import Final

REPO_ROOT: Final[Path] = Path(__file__).resolve().parents[3]

SMA_PACKAGE: Final[Path] = REPO_ROOT / "libs" / "sma" / "src" / "sma"
ETL_PACKAGE: Final[Path] = REPO_ROOT / "services" / "glue_job" / "src" / "sma_etl"
API_SERVICE: Final[Path] = REPO_ROOT / "services" / "api"
API_PACKAGE: Final[Path] = API_SERVICE / "src" / "sma_api"
GLUE_ENTRY_SCRIPT: Final[Path] = (
    REPO_ROOT / "services" / "glue_job" / "glue" / "crypto_hourly_etl.py"
)

# Synth-time build output (git-ignored): the job's --extra-py-files zip.
BUILD_DIR: Final[Path] = REPO_ROOT / "infra" / "build"
