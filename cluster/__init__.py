"""Where docseg's state and work live: the Redis job store and queue, the dispatcher, Ray tasks.

Imports segmentation; never serve_app or FastAPI.
"""
