"""Installing plugins from marketplace registries, verified end to end.

    config.py       the marketplaces this user added (URL + pinned first root), on disk
    tuf_client.py   a python-tuf ngclient per marketplace: refresh, the signed index, targets
    index.py        the signed `NAME/index.json` as plain data (pure, bounded parsing;
                    its format and target names: sdk/index_format.py)
    resolve.py      requirements (`NAME[@MARKETPLACE][SPEC]`) and version choice (pure)
    search.py       the registry's search API (unsigned, for discovery only)
    listing.py      what a marketplace's signed index lists for one plugin (`acc plugin info`)
    install.py      the IO shell: resolve, download through TUF, verify the publisher, install
    lazy_cloud_sdk.py  python-tuf loaded without boto3 (the installer never signs)

Nothing here is imported by `acc --help` or `acc plugin list`: tuf and urllib3 load only
when a marketplace command runs.
"""

from host.marketplace.lazy_cloud_sdk import import_tuf_without_boto3

import_tuf_without_boto3()  # before any module of this package imports tuf (see lazy_cloud_sdk.py)
