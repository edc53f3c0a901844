"""docseg's HTTP face: the Ray Serve application, auth, API schemas, the CLI.

Imports cluster and segmentation.
"""
