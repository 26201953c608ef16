"""The core: what every domain, page and the sync protocol build on; it imports none of them."""
