"""Talking to the outside world safely: which addresses may be reached, and how much a body may unpack to.

* :mod:`monitor.outbound.addresses`: the one rule for public and non-public addresses.
* :mod:`monitor.outbound.transport`: the HTTP client whose every connection goes to a checked address.
* :mod:`monitor.outbound.get`: redirects followed one checked hop at a time; reading one page.
* :mod:`monitor.outbound.bodies`: reading a body with a cap on its unpacked size.
* :mod:`monitor.outbound.retry_after`: the ``Retry-After`` header.

The crawlers and the delivery channels use these; each maps a refusal to its own error kind
(:class:`monitor.errors.FetchError`, :class:`monitor.delivery.errors.ChannelError`).
"""
