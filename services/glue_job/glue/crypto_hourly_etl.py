"""AWS Glue entry script of the hourly job (uploaded by the CDK; sma and sma_etl ship as a zip).

Glue calls it as ``crypto_hourly_etl.py --DYNAMO_TABLE_NAME t --S3_BUCKET_NAME b ...``; all the
work is in ``sma_etl``, shared with the ``sma-etl`` command.
"""

import sys

from sma_etl.glue_entry import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
