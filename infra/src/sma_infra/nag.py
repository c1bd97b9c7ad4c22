"""cdk-nag AwsSolutions checks and the written reasons for every finding we accept.

cdk-nag 3 runs as a CDK policy-validation plugin: synth fails on any finding not acknowledged
here, and each acknowledgement is stored as construct metadata with its reason.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

ACKNOWLEDGED_METADATA: Final[str] = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
# With this context set, acknowledgements are recorded under PENDING_METADATA instead of being
# applied, so a review (and the tests) can see every raw finding next to its written reason.
RECORD_ONLY_CONTEXT: Final[str] = "sma:nagRecordOnly"
PENDING_METADATA: Final[str] = "sma:nag-acknowledgement"
MIN_REASON_WORDS: Final[int] = 8
# The plugin namespace CDK files cdk-nag's findings under; without it an id means an annotation.
NAMESPACE: Final[str] = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept one finding (``AwsSolutions-IAM5[Resource::...]`` or a whole rule) with a reason."""
    if len(reason.split()) < MIN_REASON_WORDS:
        raise ValueError(f"the acknowledgement of {rule} needs a written reason, got {reason!r}")
    if scope.node.try_get_context(RECORD_ONLY_CONTEXT):
        scope.node.add_metadata(PENDING_METADATA, {rule: reason})
        return
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{NAMESPACE}::{rule}", reason=reason))


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
