"""News for the citizen: what the portal says changed about a request they filed (a payment
received or failed, a request in progress, ready, rejected), told once, on the channel they
used, in their language.

:mod:`dialogs.news.records` keeps the portal's events (each acted on once) and the requests
followed (where to reach their citizen); :mod:`dialogs.news.texts` words the news;
:mod:`dialogs.news.newsroom` decides what to send, where and when (quiet hours);
:mod:`dialogs.news.quiet` is the night.
"""
