"""The data subject's rights, over everything the project keeps: the access export
(GDPR art. 15 and 20), erasure that reaches every table and file (art. 17) and retention.

It sits above ``activate``, since an erasure also reaches the files activation wrote.
"""
